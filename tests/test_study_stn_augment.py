"""The study of chapter 01 (simaug.studies.stn_augment): plan invariants, config checks, the
arms' stage-3 callbacks and stage-2 cache, one tiny execute of each kind, and the gates and
claims (simaug.report.chapters.stn_augment) on synthetic stored runs."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from simaug.report.chapters import stn_augment as verdict  # noqa: E402
from simaug.runstore import RunResult, StoredRun, spec_key  # noqa: E402
from simaug.stn import (RandomAffineCallback, STNAugmentCallback, STNResult, arm_config, build_stn,  # noqa: E402
                        list_arms)
from simaug.studies import ConfigError, get_study  # noqa: E402
from simaug.studies.stn_augment import execution as ex  # noqa: E402
from simaug.studies.stn_augment import results  # noqa: E402

study = get_study("01_stn_augment")
LN4 = 2 * math.log(2)


def specs(**kw):
    return study.plan(study.Config.from_params({"seeds": [0, 1], **kw}))


def keys(ss):
    return {spec_key(s) for s in ss}


# -- plan ----------------------------------------------------------------------------------------
def test_plan_one_stage1_per_seed_shared_by_its_arms():
    arms = ["baseline", "random_affine", "paper", "bounded"]
    ss = specs(arms=arms)
    assert len(ss) == 2 * (1 + len(arms)) and len(keys(ss)) == len(ss)
    stage1 = [s for s in ss if s["stage"] == "stage1"]
    assert [s["seed"] for s in stage1] == [0, 1]
    for s in ss:
        if s["stage"] == "arm":  # the arm embeds exactly its seed's stage-1 spec
            assert s["parent"] == stage1[s["seed"]]
            assert s["seed"] == s["parent"]["seed"]
    by_arm = {s["arm"]: s for s in ss if s["stage"] == "arm" and s["seed"] == 0}
    assert "stn" not in by_arm["baseline"] and "bounds" not in by_arm["baseline"]
    assert by_arm["random_affine"]["bounds"] == {"rotation_deg": 15.0, "scale": 0.1, "translate": 0.25, "shear": 0.1}
    assert by_arm["paper"]["stn"]["me_form"] == "paper" and by_arm["bounded"]["stn"]["me_form"] == "ascent"
    assert by_arm["bounded"]["stn"]["bounds"] == by_arm["random_affine"]["bounds"]  # same box: same strength
    assert by_arm["paper"]["stage2"] == {"steps": 12, "log_every": 1, "snapshot_every": 3}
    p = by_arm["paper"]["parent"]
    assert p["data"] == {"name": "cifar10", "train_subset": 800, "test_subset": 400, "subset_seed": 0}
    assert p["model"] == "simple_cnn" and p["train"]["epochs"] == 2 and p["train"]["precision"] == "fp32"


def test_keys_change_exactly_where_a_parameter_acts():
    base = specs(arms=["baseline", "paper"])
    s1 = lambda ss: keys(s for s in ss if s["stage"] == "stage1")  # noqa: E731
    arm = lambda ss, a: keys(s for s in ss if s.get("arm") == a)  # noqa: E731
    stage3 = specs(arms=["baseline", "paper"], stage3_lr=0.0002)
    assert s1(stage3) == s1(base) and arm(stage3, "baseline").isdisjoint(arm(base, "baseline"))
    g = specs(arms=["baseline", "paper"], g_lr=0.002)  # a stage-2 setting: only the learned arm changes
    assert s1(g) == s1(base) and arm(g, "baseline") == arm(base, "baseline") and arm(g, "paper").isdisjoint(arm(base, "paper"))
    for kw in ({"stage1_epochs": 3}, {"train_subset": 900}, {"precision": "bf16"}, {"model_name": "resnet20"}):
        other = specs(arms=["baseline", "paper"], **kw)
        assert keys(other).isdisjoint(keys(base)), kw
    assert keys(specs(arms=["baseline", "paper"], lam=2)) == keys(base)  # 2 and 2.0 are one run
    assert keys(specs(arms=["paper", "baseline"])) == keys(base)  # the arms' order does not matter


def test_config_refuses_bad_values_naming_the_parameter():
    for kw, name in [({"stage2_steps": 0}, "stage2_steps"), ({"arms": ["papr"]}, "arms"), ({"arms": ["paper", "paper"]}, "arms"),
                     ({"arms": []}, "arms"), ({"g_lr": 0.0}, "g_lr"), ({"remedy_me_form": "up"}, "remedy_me_form"),
                     ({"precision": "fp16"}, "precision"), ({"model_name": "vgg"}, "model_name"), ({"test_subset": 20}, "test_subset"),
                     ({"d_momentum": 1.5}, "d_momentum"), ({"seeds": [0, 0]}, "seeds"), ({"stage1_epochs": 1.5}, "stage1_epochs")]:
        with pytest.raises(ConfigError, match=name):
            study.Config.from_params({"seeds": [0], **kw})
    with pytest.raises(ConfigError, match="unknown parameter"):
        study.Config.from_params({"seeds": [0], "stage4_epochs": 1})


# -- the arms ------------------------------------------------------------------------------------
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
    G, _ = build_stn(arm_config("bounded"), seed=0)
    assert ex.arm_callbacks("baseline", None, None, 0) == []
    cb = ex.arm_callbacks("random_affine", None, {"rotation_deg": 5.0, "scale": 0.0, "translate": 0.0, "shear": 0.0}, 0)[0]
    assert isinstance(cb, RandomAffineCallback) and cb.bounds.rotation_deg == 5.0
    assert isinstance(ex.arm_callbacks("bounded", G, None, 0)[0], STNAugmentCallback)
    with pytest.raises(ValueError, match="needs the stage-2 augmenter"):
        ex.arm_callbacks("paper", None, None, 0)


def test_cached_stage2_trains_once_and_restores_weights(tmp_path):
    G, D = build_stn(arm_config("paper"), seed=0)
    calls = []

    def train():
        calls.append(1)
        with torch.no_grad():
            next(G.parameters()).add_(1.0)
        return STNResult(history=None, snapshots=None)

    ex.cached_stage2(tmp_path / "s2.pt", G, D, train)
    G2, D2 = build_stn(arm_config("paper"), seed=0)
    ex.cached_stage2(tmp_path / "s2.pt", G2, D2, train)
    assert len(calls) == 1
    assert all(torch.equal(a, b) for a, b in zip(G.state_dict().values(), G2.state_dict().values()))


# -- one tiny execute of each kind ------------------------------------------------------------------
TINY = dict(train_subset=200, test_subset=100, stage1_epochs=1, stage2_steps=3, stage2_batch=16, stage3_epochs=1,
            batch_size=50, arms=["baseline", "paper"], seeds=[0], device="cpu")


def test_execute_stage1_then_an_arm_and_the_arm_rederives_stage1_identically(tmp_path):
    s1, base, paper = study.plan(study.Config.from_params(TINY))
    r1 = study.execute(s1, tmp_path / "w" / spec_key(s1))
    assert {"train_acc", "train_acc_eval", "test_acc", "n_train", "n_test"} <= set(r1.metrics) and r1.metrics["n_train"] == 200
    assert "train_time_s" not in r1.history and "images_per_s" not in r1.history
    cache = ex.stage1_cache(tmp_path / "w" / spec_key(paper), s1)
    assert cache.is_file()  # the stage-1 weights wait beside the work folders for the arms
    ra = study.execute(paper, tmp_path / "w" / spec_key(paper))
    m = ra.metrics
    assert {"train_acc", "test_acc", "g_theta_dist", "g_entropy_gain", "g_acc_aug", "d_loss_heldout"} <= set(m)
    assert m["g_theta_dist"] < 0.05  # three steps from the identity initialisation
    h2 = ra.tables["stage2"]
    assert list(h2.index) == [1, 2, 3] and {"test_loss_d", "test_theta_dist", "test_loss_g_adv"} <= set(h2)
    assert ra.arrays["snapshot_thetas"].shape == (len(ra.arrays["snapshot_steps"]), 8, 2, 3)
    assert list(ra.arrays["snapshot_steps"]) == [0, 1, 2, 3]
    cache.unlink()  # without the parent's weights the arm re-trains stage 1 in its own folder: same numbers
    rb = study.execute(paper, tmp_path / "v" / spec_key(paper))
    assert rb.metrics == ra.metrics
    assert cache.parent.parent == tmp_path / "w" and ex.stage1_cache(tmp_path / "v" / "x", s1).is_file()
    rbase = study.execute(base, tmp_path / "w" / spec_key(base))
    assert "g_theta_dist" not in rbase.metrics and not rbase.tables


# -- gates and claims on synthetic runs ---------------------------------------------------------------
def stage2_table(d_start=LN4, d_end=LN4, g_start=-0.69, g_end=-0.69, theta=0.001, rows=20):
    t = np.linspace(0, 1, rows)
    return pd.DataFrame({"step": np.arange(1, rows + 1), "test_loss_d": d_start + (d_end - d_start) * t,
                         "test_loss_g_adv": g_start + (g_end - g_start) * t, "test_theta_dist": np.full(rows, theta),
                         "test_entropy_aug": 0.5, "test_entropy_orig": 0.5, "test_acc_aug": 0.9}).set_index("step")


def stored(spec, metrics, tables=None):
    return StoredRun(spec_key(spec), spec, RunResult(metrics=metrics, tables=tables or {}), None)


def synthetic(acc, stage1_train=0.99, theta=0.001, d=(LN4, LN4), g=(-0.69, -0.69), theta_peak=None):
    """``acc``: {arm: [test accuracy per seed]} -> StoredRuns like the study's."""
    cfg = study.Config.from_params({"seeds": list(range(len(next(iter(acc.values()))))), "arms": list(acc)})
    runs = []
    for s in study.plan(cfg):
        if s["stage"] == "stage1":
            runs.append(stored(s, {"train_acc": stage1_train, "train_acc_eval": stage1_train, "test_acc": 0.6, "epochs": 2, "n_train": 800, "n_test": 400}))
            continue
        m = {"train_acc": 0.99, "test_acc": acc[s["arm"]][s["seed"]], "epochs": 1}
        tables = {}
        if "stn" in s:
            m.update(g_theta_dist=theta, g_frac_near_identity=1.0, g_entropy_gain=0.0, g_acc_aug=0.9)
            tab = stage2_table(*d, *g, theta=theta)
            if theta_peak is not None:
                tab.loc[5, "test_theta_dist"] = theta_peak
            if s["stn"]["variant"] != "no_disc":
                m["d_loss_heldout"] = float(tab.test_loss_d.iloc[-1])
            tables["stage2"] = tab
        runs.append(stored(s, m, tables))
    return runs


BASE = [0.600, 0.610, 0.620, 0.605]
RA = [0.630, 0.645, 0.648, 0.634]  # +3 points, clearly resolved
NEAR = [0.601, 0.609, 0.621, 0.606]  # ±0.1 point of the baseline


def by_id(claims):
    return {c.id: c for c in claims}


def test_paper_like_outcome_no_gain_reproduced_identity_stays_and_d_claim_uninformative():
    runs = synthetic({"baseline": BASE, "random_affine": RA, "paper": NEAR, "bounded": RA})
    g = verdict.gates(runs)
    assert g["positive_control"].passed and g["stage1"].passed
    assert not g["d_paper"].passed and g["d_paper"].measured == pytest.approx(0.0, abs=1e-12)
    c = by_id(verdict.claims(runs))
    assert set(c) == {"01-no-gain", "01-d-rises-g-falls", "01-g-identity", "01-remedy-bounded"}
    assert c["01-no-gain"].status == "reproduced" and c["01-no-gain"].kind == "equivalence"
    assert c["01-no-gain"].ours == pytest.approx(100 * np.mean(np.subtract(NEAR, BASE)))
    assert c["01-d-rises-g-falls"].status == "uninformative" and "D learns (paper)" in c["01-d-rises-g-falls"].reason
    assert c["01-g-identity"].status == "reproduced" and "stays at its identity initialisation" in c["01-g-identity"].reason
    assert "collapses" not in c["01-g-identity"].reason
    assert c["01-remedy-bounded"].status == "reproduced"  # +3 points over the baseline


def test_failed_positive_control_or_stage1_makes_every_claim_uninformative():
    runs = synthetic({"baseline": BASE, "random_affine": NEAR, "paper": NEAR})
    assert not verdict.gates(runs)["positive_control"].passed
    assert {c.status for c in verdict.claims(runs)} == {"uninformative"}
    runs = synthetic({"baseline": BASE, "random_affine": RA, "paper": NEAR}, stage1_train=0.9)
    g = verdict.gates(runs)["stage1"]
    assert not g.passed and g.measured == pytest.approx(90.0)
    assert {c.status for c in verdict.claims(runs)} == {"uninformative"}
    runs = synthetic({"baseline": BASE, "paper": NEAR})  # no positive control run: not a pass
    assert not verdict.gates(runs)["positive_control"].passed


def test_resolved_gain_contradicts_no_gain_and_learning_d_decides_the_fig2_claim():
    gain = [a + 0.03 + 0.001 * i for i, a in enumerate(BASE)]
    runs = synthetic({"baseline": BASE, "random_affine": RA, "paper": gain}, d=(1.0, 1.3), g=(-0.2, -0.6))
    c = by_id(verdict.claims(runs))
    assert c["01-no-gain"].status == "contradicted"
    d = verdict.gates(runs)["d_paper"]
    assert d.passed and d.measured == pytest.approx(LN4 - 1.0)  # D starts far from 2 ln 2 (its first rolling mean)


def test_fig2_claim_holds_when_d_rises_and_g_falls_in_every_seed():
    runs = synthetic({"baseline": BASE, "random_affine": RA, "paper": NEAR}, d=(1.0, 1.3), g=(-0.2, -0.6))
    # identical curves in every seed have zero spread: no interval, so the check cannot decide
    assert by_id(verdict.claims(runs))["01-d-rises-g-falls"].status == "below_resolution"
    for i, r in enumerate(results.arm_runs(runs, "paper")):  # per-seed differences: now an interval
        r.result.tables["stage2"] = stage2_table(1.0 - 0.01 * i, 1.3 + 0.02 * i, -0.2, -0.6 - 0.01 * i)
    assert by_id(verdict.claims(runs))["01-d-rises-g-falls"].status == "reproduced"
    for i, r in enumerate(results.arm_runs(runs, "paper")):  # D's loss falls: the opposite of Fig. 2
        r.result.tables["stage2"] = stage2_table(1.3 + 0.02 * i, 1.0 - 0.01 * i, -0.2, -0.6 - 0.01 * i)
    assert by_id(verdict.claims(runs))["01-d-rises-g-falls"].status == "contradicted"


def test_identity_claim_wording_follows_the_measured_distance():
    c = by_id(verdict.claims(synthetic({"baseline": BASE, "random_affine": RA, "paper": NEAR}, theta=0.01, theta_peak=0.3)))
    assert c["01-g-identity"].status == "reproduced" and "returns to it" in c["01-g-identity"].reason
    c = by_id(verdict.claims(synthetic({"baseline": BASE, "random_affine": RA, "paper": NEAR}, theta=0.2)))
    assert c["01-g-identity"].status == "contradicted" and c["01-g-identity"].ours == pytest.approx(0.2)


def test_d_departure_and_quarter_means_by_hand():
    h = pd.DataFrame({"test_loss_d": [LN4, LN4, LN4, LN4, LN4 - 0.5, LN4, LN4, LN4]})
    assert results.d_departure(h, window=1) == pytest.approx(0.5)
    assert results.d_departure(h, window=5) == pytest.approx(0.1)  # the dip averaged over 5 steps
    assert results.quarter_means(pd.DataFrame({"x": [1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0]}), "x") == (2.0, 14.0)


def test_tables_and_figures_from_synthetic_runs():
    from simaug.plots import stn as stn_plots

    runs = synthetic({"baseline": BASE, "random_affine": RA, "paper": NEAR, "no_disc": RA})
    t = verdict.results_table(runs)
    assert list(t.index) == ["baseline", "random_affine", "paper", "no_disc"]
    assert t.loc["baseline", "paper (Table 1)"] == "0.8736" and t.loc["no_disc", "D's held-out loss (nats)"] == "–"
    assert t.loc["random_affine", "Δ vs baseline (points, 95% CI)"].startswith("+3.05")
    assert list(study.discriminator_table(runs).index) == ["paper"]
    h = study.stage2_history(runs)
    assert set(h.arm) == {"paper", "no_disc"} and len(h) == 2 * 4 * 20
    fig = stn_plots.plot_stage2_panels(h)
    fig2 = stn_plots.plot_arm_accuracy(study.finals(runs), 0.6)
    for f in (fig, fig2):
        assert f.dpi >= 150 and f.get_size_inches()[0] <= 10
    plt.close("all")
