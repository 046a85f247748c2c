"""The chapter-02 study (CAM-guided erasing): plan invariants, config checks, one tiny
execute with the shared warm-up, and the gate / claim logic on synthetic stored runs."""
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from simaug.report import resolution
from simaug.run.profiles import profile_params
from simaug.runstore import RunResult, StoredRun, spec_key
from simaug.studies import ConfigError, get_study
from simaug.studies import cam_erasing as study
from simaug.report.chapters import cam_erasing as verdict
from simaug.studies.cam_erasing.execute import _box_mask, final_checkpoint

BASE = dict(model_name="resnet20", batch_size=128, lr=0.1, weight_decay=0.0005, device="cpu")


def report_config(**over):
    return study.Config(**{**BASE, **profile_params("02_cam_erasing", "report"), **over})


# -- plan ----------------------------------------------------------------------------------
def test_registered():
    assert get_study("02_cam_erasing") is study


def test_report_plan_is_the_issue_16_design():
    cfg = report_config()
    specs = study.plan(cfg)
    arms = Counter(study.arm_of(s) for s in specs)
    assert len(specs) == 47 and len({spec_key(s) for s in specs}) == 47
    assert {a: arms[a] for a in ("warm-up", "none", "random_erasing", "cam_erasing b_h=2")} == dict.fromkeys(
        ("warm-up", "none", "random_erasing", "cam_erasing b_h=2"), 8)
    assert arms["cutout"] == arms["hide_and_seek"] == arms["random_erasing_epoch0"] == 3
    assert [arms[f"cam_erasing b_h={b}"] for b in (0, 1, 3, 4, 5)] == [1] * 5 and arms["cam_erasing b_h=2 after"] == 1
    # warm-ups come first (they are the parents); every branching arm embeds its seed's warm-up, which is planned
    assert [study.arm_of(s) for s in specs[:8]] == ["warm-up"] * 8
    warm = {s["seed"]: s for s in specs if s["kind"] == "warmup"}
    for s in specs[8:]:
        if study.arm_of(s) == "random_erasing_epoch0":
            assert s["parent"] is None and s["augment"]["mode"] == "replace" and s["augment"]["start_epoch"] == 0
        else:
            assert s["parent"] == warm[s["seed"]]
            assert s["augment"] is None or (s["augment"]["mode"], s["augment"]["start_epoch"]) == ("append", 45)
    after = next(s for s in specs if study.arm_of(s) == "cam_erasing b_h=2 after")
    none0 = next(s for s in specs if study.arm_of(s) == "none" and s["seed"] == 0)
    assert after["augment"]["cam"]["run"] == none0 and after["augment"]["cam"]["source"] == "run"
    # what determines a run is in its spec: data, recipe (90 epochs, lr x0.1 after 45 and 67), thesis' settings
    s = none0
    assert s["data"] == {"name": "cifar10", "train_subset": 10000, "test_subset": 0, "subset_seed": 0}
    assert (s["train"]["epochs"], s["train"]["milestones"], s["train"]["eval_every"], s["precision"]) == (90, [45, 67], 5, "fp32")
    assert warm[0]["stop_epoch"] == 45
    re0 = next(x for x in specs if study.arm_of(x) == "random_erasing")["augment"]["params"]
    assert (re0["p"], re0["scale"], re0["ratio"][0], re0["fill"]) == (0.5, [0.02, 0.4], 0.3, "zero")
    cam = next(x for x in specs if study.arm_of(x) == "cam_erasing b_h=2")["augment"]
    assert cam["params"]["b_h"] == 2 and cam["params"]["p"] == 1.0 and cam["cam"]["layer"] == "layer3"


def test_main_cam_arm_is_also_the_sweep_point_and_render_only_parameters_change_no_key():
    base = study.Config(seeds=[0, 1], bh_sweep=[0, 2], sweep_seeds=[0], secondary=[], cam_after=False)
    assert len(study.plan(base)) == 2 + 6 + 1  # b_h = 2 of the sweep is the main arm, not a second run
    keys = {spec_key(s) for s in study.plan(base)}
    assert keys == {spec_key(s) for s in study.plan(study.Config(**{**base.to_dict(), "n_draws": 99}))}
    assert keys == {spec_key(s) for s in study.plan(study.Config(**{**base.to_dict(), "earlier_epochs": [60]}))}


@pytest.mark.parametrize("field,value", [("train_subset", 512), ("test_subset", 100), ("epochs", 4), ("lr", 0.05),
                                         ("weight_decay", 0.0), ("eval_every", 2), ("precision", "bf16"),
                                         ("model_name", "resnet32"), ("probe_images", 50), ("batch_size", 64)])
def test_every_key_changes_with_a_run_parameter(field, value):
    base = study.Config(seeds=[0], secondary=[], bh_sweep=[], sweep_seeds=[], cam_after=False)
    old = [spec_key(s) for s in study.plan(base)]
    new = [spec_key(s) for s in study.plan(study.Config(**{**base.to_dict(), field: value}))]
    assert not set(old) & set(new)


def test_b_h_and_secondary_seeds_change_only_their_arms():
    base = study.Config(seeds=[0, 1], secondary=["cutout"], secondary_seeds=[0], bh_sweep=[], sweep_seeds=[], cam_after=False)
    by = lambda cfg: {(study.arm_of(s), s["seed"]): spec_key(s) for s in study.plan(cfg)}  # noqa: E731
    a, b = by(base), by(study.Config(**{**base.to_dict(), "secondary_seeds": [1]}))
    assert a[("none", 0)] == b[("none", 0)] and ("cutout", 0) in a and ("cutout", 1) in b and ("cutout", 0) not in b
    c = by(study.Config(**{**base.to_dict(), "b_h": 3}))
    assert ("cam_erasing b_h=3", 0) in c and a[("random_erasing", 0)] != c[("random_erasing", 0)]  # the probe's b_h is shared


# -- config --------------------------------------------------------------------------------
@pytest.mark.parametrize("field,value", [("epochs", 1), ("secondary", ["mixup"]), ("secondary_seeds", [3]),
                                         ("sweep_seeds", [0, 9]), ("bh_sweep", [-1]), ("bh_sweep", [1, 1]),
                                         ("precision", "fp16"), ("model_name", "resnet18"), ("cam_after", "yes"),
                                         ("probe_images", 0), ("n_draws", 0), ("b_h", 1.5), ("lr", 0),
                                         ("earlier_epochs", [1]), ("earlier_epochs", 60), ("pilot_epochs", [0])])
def test_config_refuses_bad_values_naming_the_parameter(field, value):
    with pytest.raises(ConfigError, match=f"parameter {field}="):
        study.Config(**{"seeds": [0, 1], field: value})


def test_config_refuses_unknown_keys():
    with pytest.raises(ConfigError, match="unknown parameter"):
        study.Config.from_params({"seeds": [0], "methods": ["none"]})


def test_every_profile_plans():
    for profile in ("smoke", "report", "paper"):
        assert study.plan(study.Config(**{**BASE, **profile_params("02_cam_erasing", profile)}) if profile != "smoke" else study.Config())


# -- execute -------------------------------------------------------------------------------
def test_box_mask_matches_a_loop():
    y0, y1, x0, x1 = (torch.tensor(v) for v in ([0, 3, 5], [2, 3, 8], [1, 0, 6], [4, 5, 8]))
    apply = torch.tensor([True, True, False])
    m = _box_mask(y0, y1, x0, x1, apply, (8, 8))
    ref = torch.zeros(3, 1, 8, 8)
    for i in range(3):
        for r in range(8):
            for c in range(8):
                ref[i, 0, r, c] = float(apply[i] and y0[i] <= r < y1[i] and x0[i] <= c < x1[i])
    assert torch.equal(m, ref)


def test_tiny_execute_branches_from_the_shelved_warm_up_and_re_trains_it_identically(tmp_path):
    cfg = study.Config(seeds=[0], train_subset=60, test_subset=40, epochs=2, batch_size=30, secondary=[], bh_sweep=[],
                       sweep_seeds=[], cam_after=False, probe_images=20, device="cpu")
    warm, none, _, cam = study.plan(cfg)
    root = tmp_path / "work" / study.NAME
    rw = study.execute(warm, root / spec_key(warm))
    assert (root / "final" / f"{spec_key(warm)}.pt").is_file()  # the warm-up leaves its checkpoint for the arms
    rc = study.execute(cam, root / spec_key(cam))
    assert rc.provenance["parent"] == {"key": spec_key(warm), "source": "shelved checkpoint of the parent",
                                       "weights_sha256": rw.provenance["weights_sha256"]}  # branched from that warm-up
    assert rc.provenance["weights_sha256"] != rw.provenance["weights_sha256"]
    resumed = study.execute(cam, root / spec_key(cam))  # its own (finished) checkpoint: the parent's record is kept
    assert resumed.provenance["parent"] == {**rc.provenance["parent"], "source": "own checkpoint (resumed)"}
    assert resumed.provenance["weights_sha256"] == rc.provenance["weights_sha256"]
    for r in (rw, rc):
        assert {"train_acc", "test_acc", "test_error", "deletion_extra_drop", "probe_images"} <= set(r.metrics)
        assert r.metrics["probe_images"] == 20 and r.arrays["probe_p"].shape == (20, 3)
        assert r.arrays["overlay_cam"].shape == (10, 32, 32) and "train_time_s" not in r.history
    assert rw.metrics["epochs"] == 1 and rc.metrics["epochs"] == 2 and len(rc.history) == 2
    pd.testing.assert_frame_equal(rc.history.iloc[:1][rw.history.columns], rw.history)  # the arm continues the warm-up
    assert rc.history.train_images.tolist() == [60, 120]  # erased copies appended from the warm-up's end
    assert math.isclose(rc.metrics["test_error"], 100 * (1 - rc.metrics["test_acc"]))
    # without the shelf the arm re-trains its warm-up in its own folder and gets the same run
    (root / "final" / f"{spec_key(warm)}.pt").unlink()
    again = study.execute(cam, tmp_path / "elsewhere" / study.NAME / spec_key(cam))
    assert again.provenance["parent"]["source"].startswith("re-trained here")
    assert again.metrics == rc.metrics
    # with no shelved copy, a finished parent in its own work folder (an executor that kept it) is used as it is
    path, how = final_checkpoint(warm, tmp_path / "unused", root / "final")
    assert (path, how) == (root / spec_key(warm) / "checkpoint.pt", "the parent's work folder")
    assert not (tmp_path / "unused").exists()


# -- gates and claims on synthetic stored runs ---------------------------------------------------
def fake_runs(cfg, error, train_acc=0.99, drops=(0.20, 0.05), plateau=True):
    """StoredRuns of ``plan(cfg)`` with final test errors ``error(arm, seed)`` (%)."""
    rng = np.random.default_rng(0)
    out = []
    for s in study.plan(cfg):
        arm = study.arm_of(s)
        e = error(arm, s["seed"])
        acc = [60.0, 80.0, 100 - e - (0 if plateau else 3.0), 100 - e - (0 if plateau else 1.5), 100 - e]
        h = pd.DataFrame({"epoch": [1, 2, 3, 4, 5], "train_loss": [2.0, 1.0, 0.5, 0.3, 0.2], "train_acc": [0.5] * 4 + [train_acc],
                          "test_acc": [a / 100 for a in acc]})
        p0 = rng.uniform(0.6, 0.9, 50)
        p = np.stack([p0, p0 - drops[0] - rng.normal(0, 0.02, 50), p0 - drops[1] - rng.normal(0, 0.02, 50)], 1)
        metrics = {"test_error": e, "test_acc": 1 - e / 100, "train_acc": train_acc, "epochs": 5, "n_train": 10000,
                   "n_test": 10000, "deletion_extra_drop": drops[0] - drops[1]}
        arrays = {"probe_p": p.astype(np.float32), "probe_peaks": rng.integers(0, 32, (50, 2)).astype(np.uint8),
                  "overlay_index": np.arange(10), "overlay_cam": np.zeros((10, 32, 32), np.uint8)}
        out.append(StoredRun(spec_key(s), s, RunResult(metrics, h, arrays), Path(".")))
    return out


SEEDS = list(range(8))
CFG = dict(seeds=SEEDS, secondary_seeds=[0, 1, 2], sweep_seeds=[0], bh_sweep=[0, 1, 3, 4, 5], cam_after=True, epochs=60)
BASE_ERR = {"none": 12.0, "random_erasing": 11.0, "cutout": 11.2, "hide_and_seek": 11.4, "random_erasing_epoch0": 11.3}


def thesis_like(arm, seed):
    noise = 0.1 * math.sin(seed + len(arm))  # seed-dependent, not arm-independent
    if arm.startswith("cam_erasing"):
        return 10.5 + (0.05 * int(arm.split("b_h=")[1][0]) if "after" not in arm else 0.3) + 0.1 * math.sin(seed)
    return BASE_ERR.get(arm, 20.0) + noise


def test_gates_pass_and_the_main_claim_is_reproduced_when_cam_erasing_is_clearly_better():
    cfg = study.Config(**CFG)
    runs = fake_runs(cfg, thesis_like)
    gates = verdict.gates(runs, cfg)
    assert [g.name for g in gates] == ["baseline fits", "baseline plateaued", "positive control", "CAM localises"]
    assert all(g.passed for g in gates)
    claims = {c.id: c for c in verdict.claims(runs, cfg)}
    main = claims["02-cam-vs-random-erasing"]
    assert main.status == "reproduced" and main.n == 8 and main.source_value == -0.35 and main.ci[1] < 0
    d = [thesis_like("cam_erasing b_h=2", s) - thesis_like("random_erasing", s) for s in SEEDS]
    assert math.isclose(main.ours, float(np.mean(d)))
    assert claims["02-cam-vs-cutout"].n == 3 and claims["02-cam-vs-cutout"].status == "reproduced"
    # the b_h sweep and the CAM source never get a verdict
    assert claims["02-bh-best"].status == "below_resolution" and claims["02-bh-best"].ours == 0
    assert claims["02-cam-source"].status == "below_resolution" and math.isclose(claims["02-cam-source"].ours, 0.2, abs_tol=1e-3)  # 0.3 - 0.05 * 2
    assert main.scale.endswith("n=8 paired seeds") and claims["02-bh-best"].scale.endswith("n=1 seed")


@pytest.mark.parametrize("broken,gate", [(dict(train_acc=0.80), "baseline fits"), (dict(plateau=False), "baseline plateaued"),
                                         (dict(drops=(0.05, 0.05)), "CAM localises")])
def test_a_failed_gate_makes_every_claim_uninformative(broken, gate):
    cfg = study.Config(**CFG)
    runs = fake_runs(cfg, thesis_like, **broken)
    failed = [g.name for g in verdict.gates(runs, cfg) if not g.passed]
    assert failed == [gate]
    assert {c.status for c in verdict.claims(runs, cfg)} == {"uninformative"}


def test_revision_table_shows_an_earlier_executions_gates_and_no_comparison():
    cfg = study.Config(**CFG)
    earlier = study.Config(**{**CFG, "epochs": cfg.epochs // 2})
    table = verdict.revision_table([(earlier, fake_runs(earlier, thesis_like, train_acc=0.80)), (earlier, [])])
    seeds = ", ".join(map(str, earlier.seeds))
    assert list(table["gate"][:4]) == ["baseline fits", "baseline plateaued", "positive control", "CAM localises"]
    assert list(table["passed"][:4]) == ["NO", "yes", "yes", "yes"]
    assert set(table["execution"][:4]) == {f"{earlier.epochs} epochs, seeds {seeds}"}
    assert table["measured"].iloc[0].startswith("80.00%")
    assert table["measured"].iloc[4] == "its runs are not in the store"
    assert "over the last 3 evaluations" in table["measured"].iloc[1]
    pilot = study.Config(**{**CFG, "seeds": [100], "secondary_seeds": [], "sweep_seeds": []})
    runs = [r for r in fake_runs(pilot, thesis_like) if r.spec["arm"] in ("warm-up", "none")]
    table = verdict.revision_table([(pilot, runs)])
    assert list(table["gate"]) == ["baseline fits", "baseline plateaued", "CAM localises"]
    assert table["execution"].iloc[0].endswith("seed 100 (pilot: none arm)")
    # the "needs" column says what a gate needs; the measured value stands alone, short enough to show whole
    assert not any("needs" in m for m in table["measured"]) and table["measured"].str.len().max() <= 50
    assert table["measured"].iloc[0].endswith("%")


def test_positive_control_fails_when_random_erasing_does_not_beat_none():
    cfg = study.Config(**CFG)
    runs = fake_runs(cfg, lambda arm, s: 12.0 + 0.1 * math.sin(3 * s + len(arm)) if not arm.startswith("cam") else 11.0)
    assert [g.name for g in verdict.gates(runs, cfg) if not g.passed] == ["positive control"]


def test_design_resolution_from_the_first_two_seeds():
    cfg = study.Config(**CFG)
    runs = fake_runs(cfg, thesis_like)
    d = [thesis_like("cam_erasing b_h=2", s) - thesis_like("random_erasing", s) for s in (0, 1)]
    sd = abs(d[0] - d[1]) / math.sqrt(2)
    table = verdict.design_resolution(runs, cfg)["value"]
    assert table["seeds of the main comparison (fixed)"] == "8"
    assert table["resolution with 8 seeds (80% power, points)"] == verdict.fmt_num(resolution(sd, 8))


def test_erase_ratio_claim_and_ks_distance():
    assert verdict.ks_to_uniform(np.linspace(0.1, 0.3, 10001)) < 1e-3
    assert verdict.ks_to_uniform(np.r_[np.zeros(90), np.ones(10)]) == pytest.approx(0.9)
    cfg = study.Config(**CFG)
    runs = fake_runs(cfg, thesis_like)
    ratios = study.erase_ratio_inputs(runs, study.Config(**{**CFG, "n_draws": 4000}))
    assert list(ratios) == ["Random Erasing", "Cutout", "Hide-and-Seek", "CAM erasing (b_h = 2)"]
    assert float(ratios["Cutout"].max()) <= 0.25 + 1e-6  # 16 x 16 of 32 x 32 at most
    check = {c.id: c for c in verdict.claims(runs, cfg, ratios)}["02-erase-ratio-uniform"]
    assert check.status == "reproduced" and check.ours == "Random Erasing"


def test_tables_read_the_stored_runs():
    cfg = study.Config(**CFG)
    runs = fake_runs(cfg, thesis_like)
    t = verdict.comparison_table(runs, cfg)
    assert t.loc["Random Erasing", "thesis (resnet20, 300 epochs, 5 runs)"] == "6.75"
    assert t.loc["Cutout", "ours: test error %"].endswith("(n=3)")
    assert "b_h = 5" in study.sweep_table(runs, cfg).index and "CAM after training" in study.sweep_table(runs, cfg).index
    rt = study.runs_table(runs)
    assert rt.shape == (13, 8) and {"none", "Random Erasing", "CAM erasing, b_h = 2", "Cutout"} <= set(rt.index)
    assert rt.loc["Cutout", "seed 7"] == ""  # blank: the design has no such run
    assert float(rt.loc["Cutout", "seed 0"]) == pytest.approx(study.errors(runs, "cutout", [0])[0], abs=0.005)
    curves = study.curves(runs, study.arm_groups(cfg)["main comparison"])
    assert set(curves.arm) == {"none", "Random Erasing", "CAM erasing, b_h = 2"} and (curves.seeds == 8).all()
    dt = verdict.deletion_table(runs, cfg)
    assert dt.loc["warm-up (end)", "images × runs"] == "50 × 8"


def test_arm_curves_say_which_evaluations_lie_above_the_cut_axis():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from simaug.plots.erasing import plot_arm_curves

    def frame(errors):
        epochs = [5 * (i + 1) for i in range(len(errors))]
        return pd.DataFrame({"arm": "none", "epoch": epochs, "test_error": errors, "train_loss": 1.0})

    # the axis spans the best error to above the median: the warm-up's 40% and 35% lie above it
    fig = plot_arm_curves(frame([40.0, 35.0, 21.0, 20.5, 20.4, 20.6]))
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["epochs 5-10: up to 40%, above the axis"]
    assert ax.get_ylim()[1] < 35.0
    plt.close(fig)
    fig = plot_arm_curves(frame([21.0, 20.5, 20.4, 20.6]))  # nothing is cut: no note
    assert not fig.axes[0].texts
    plt.close(fig)


def test_every_arm_keeps_one_colour_across_the_curve_figures():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba
    from simaug.plots.erasing import plot_arm_curves

    cfg = report_config()
    colors = study.arm_colors(cfg)
    groups = study.arm_groups(cfg)
    for arms in groups.values():  # every arm has a colour, and no two arms of a figure share one
        titles = [study.title(a) for a in arms]
        assert set(titles) <= set(colors)
        assert len({to_rgba(colors[t]) for t in titles}) == len(titles)
    assert colors["CAM erasing, b_h = 2"] == "C2" and colors["none"] == "C0"
    # the figure draws each arm in its colour, in both panels, whatever the group's order
    arms = ["Cutout", "none", "CAM erasing, b_h = 2"]
    frame = pd.DataFrame([{"arm": a, "epoch": e, "test_error": 20.0 + i + e / 10, "train_loss": 1.0 / e}
                          for i, a in enumerate(arms) for e in (5, 10)])
    fig = plot_arm_curves(frame, colors=colors)
    for ax in fig.axes:
        assert {ln.get_label(): to_rgba(ln.get_color()) for ln in ax.lines if not ln.get_label().startswith("_")} == \
            {a: to_rgba(colors[a]) for a in arms}
    plt.close(fig)


def test_the_sweep_curves_use_the_sweep_seeds_only():
    cfg = study.Config(**CFG)
    runs = fake_runs(cfg, thesis_like)
    groups = study.curve_groups(runs, cfg)
    main, sweep = groups["main comparison"], groups[list(groups)[-1]]
    assert (main.seeds == len(cfg.seeds)).all()
    assert (sweep.seeds == len(cfg.sweep_seeds)).all() and "CAM erasing, b_h = 2" in set(sweep.arm)
    one = study.curves(runs, ["cam_erasing b_h=2"], seeds=cfg.sweep_seeds)
    assert one.test_error.dropna().tolist() == sweep[sweep.arm == "CAM erasing, b_h = 2"].test_error.dropna().tolist()
