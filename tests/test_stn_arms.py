"""Tests of simaug.stn.arms (proposed; the lead decides whether to commit it under tests/)."""
import pytest
import torch

from simaug.stn import (RandomAffineCallback, STNAugmentCallback, STNResult, arm_callbacks, arm_config,
                        build_stn, cached_stage2, list_arms)


def test_arms_map_to_the_right_switches():
    assert arm_config("baseline") is None and arm_config("random_affine") is None
    assert (arm_config("paper").variant, arm_config("paper").me_form) == ("paper", "paper")
    assert (arm_config("ascent").variant, arm_config("ascent").me_form) == ("paper", "ascent")
    assert arm_config("bounded", remedy_me_form="paper").me_form == "paper"
    assert arm_config("no_disc", g_lr=1e-3).g_lr == 1e-3
    with pytest.raises(KeyError):
        arm_config("papr")
    assert set(list_arms()) >= {"baseline", "random_affine", "paper", "ascent", "bounded", "penalty", "no_disc", "low_freedom"}


def test_arm_callbacks():
    cfg = arm_config("bounded")
    G, _ = build_stn(cfg, seed=0)
    assert arm_callbacks("baseline", None, None) == []
    assert isinstance(arm_callbacks("random_affine", None, None)[0], RandomAffineCallback)
    assert isinstance(arm_callbacks("bounded", G, cfg)[0], STNAugmentCallback)
    with pytest.raises(ValueError):
        arm_callbacks("paper", None, arm_config("paper"))


def test_cached_stage2_trains_once_and_restores_weights(tmp_path):
    G, D = build_stn(arm_config("paper"), seed=0)
    calls = []

    def train():
        calls.append(1)
        with torch.no_grad():
            next(G.parameters()).add_(1.0)
        return STNResult(history=None, snapshots=None)

    cached_stage2(tmp_path / "s2.pt", G, D, train)
    G2, D2 = build_stn(arm_config("paper"), seed=0)
    cached_stage2(tmp_path / "s2.pt", G2, D2, train)
    assert len(calls) == 1
    assert all(torch.equal(a, b) for a, b in zip(G.state_dict().values(), G2.state_dict().values()))
