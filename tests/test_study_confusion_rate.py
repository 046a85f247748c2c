"""The study of chapter 00 (simaug.studies.confusion_rate) and its verdict
(simaug.report.chapters.confusion_rate): plan invariants, config checks, the loss-share
bookkeeping against a hand computation, one tiny execute, the figures' size, and the gates and
claims on synthetic stored runs."""
import ast
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from simaug.data import ImageSet  # noqa: E402
from simaug.losses import CRLoss, confusion_entropy  # noqa: E402
from simaug.plots import confusion_rate as crplots  # noqa: E402
from simaug.run.profiles import PROFILES  # noqa: E402
from simaug.runstore import RunResult, StoredRun, spec_key  # noqa: E402
from simaug.studies import ConfigError, get_study  # noqa: E402
from simaug.report.chapters import confusion_rate as verdict  # noqa: E402

study = get_study("00_confusion_rate")
REPO = Path(__file__).resolve().parents[1]
SMALL = {"seeds": [0, 1, 2, 3], "pc_seeds": [0, 1], "sweep_ks": [1.0, 2.0, 3.0, 5.0], "sweep_seeds": [0, 1],
         "hangul_seeds": [0, 1, 2]}


def cfg(**kw):
    return study.Config.from_params({**SMALL, **kw})


def keys(specs, **match):
    return {spec_key(s) for s in specs if all(_get(s, k) == v for k, v in match.items())}


def _get(spec, path):
    for part in path.split("."):
        spec = spec.get(part) if isinstance(spec, dict) else None
    return spec


# -- plan ----------------------------------------------------------------------------------------
def test_plan_counts_and_shares_the_sweep_with_the_main_runs():
    specs = study.plan(cfg())
    assert len({spec_key(s) for s in specs}) == len(specs)
    # CIFAR-10: 4 CE + 4 CR + 2 PC + sweep k in {1, 2, 5} x 2 seeds (k = 0 is CE, k = 3 the main CR); Hangul: 3 CE + 3 CR
    assert len(specs) == 4 + 4 + 2 + 3 * 2 + 3 + 3
    c = cfg()
    for s in (0, 1):
        assert spec_key(study.run_spec(c, "cifar10", "CR", s, k=3)) == spec_key(study.run_spec(c, "cifar10", "CR", s))
        assert spec_key(study.run_spec(c, "cifar10", "CR", s, k=0)) == spec_key(study.run_spec(c, "cifar10", "cross-entropy", s))
    assert study.sweep_values(c) == [0.0, 1.0, 2.0, 3.0, 5.0]
    assert len(keys(specs, dataset="hangul")) == 6 and len(keys(specs, **{"loss.name": "pairwise_confusion"})) == 2
    # the published design: 8 + 8 + 3 + 9 CIFAR-10 runs and 16 Hangul runs
    report = study.plan(study.Config.from_params({**study.Config().to_dict(), **PROFILES["00_confusion_rate"]["report"]}))
    assert len(report) == 44 and len(keys(report, dataset="hangul")) == 16


def test_a_spec_holds_everything_that_determines_the_run():
    c = cfg(precision="bf16", eval_every=2, noise_rate=0.2, hangul_size=24)
    cr = study.run_spec(c, "cifar10", "CR", 1)
    assert cr["study"] == "00_confusion_rate" and cr["version"] == study.VERSION and cr["seed"] == 1
    assert cr["data"] == {"name": "cifar10", "train_subset": 2000, "test_subset": 1000, "subset_seed": 0, "noise_rate": 0.2,
                          "noise_mode": "pairflip", "noise_seed": 0}
    assert cr["loss"] == {"name": "cr", "k": 3.0} and cr["model"] == "simple_cnn" and cr["precision"] == "bf16"
    assert cr["train"] == {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "batch_size": 64, "epochs": 3, "eval_every": 2,
                           "flip": False, "crop_padding": 0, "normalize": "standardize", "device": "auto"}
    h = study.run_spec(c, "hangul", "cross-entropy", 0)
    assert h["data"] == {"name": "hangul-confusable", "train_per_class": 20, "test_per_class": 10, "train_seed": 0,
                         "test_seed": 1, "size": 24}
    assert h["loss"] == {"name": "cross_entropy"} and h["train"]["epochs"] == 4
    assert study.run_spec(c, "cifar10", "PC", 0)["loss"] == {"name": "pairwise_confusion", "lam": 0.1}


def test_keys_change_exactly_where_a_parameter_acts():
    base = study.plan(cfg())
    ce_c, ce_h = keys(base, **{"dataset": "cifar10", "loss.name": "cross_entropy"}), keys(base, dataset="hangul")
    pc = keys(base, **{"loss.name": "pairwise_confusion"})
    k2 = study.plan(cfg(k=2.5))  # the main CR runs change, cross-entropy and PC do not
    assert ce_c <= keys(k2) and pc <= keys(k2) and not keys(base, **{"dataset": "cifar10", "loss.k": 3.0}) <= keys(k2)
    lam = study.plan(cfg(pc_lambda=0.3))
    assert keys(lam) - keys(lam, **{"loss.name": "pairwise_confusion"}) == keys(base) - pc and pc.isdisjoint(keys(lam))
    hs = study.plan(cfg(hangul_size=16))  # Hangul only
    assert keys(hs) - keys(hs, dataset="hangul") == keys(base) - ce_h and ce_h.isdisjoint(keys(hs))
    noise = study.plan(cfg(noise_rate=0.2))  # CIFAR-10 only
    assert ce_h <= keys(noise) and ce_c.isdisjoint(keys(noise))
    for kw in ({"lr": 0.02}, {"eval_every": 2}, {"batch_size": 32}, {"precision": "bf16"}, {"model_name": "resnet20"},
               {"momentum": 0.8}):
        assert keys(study.plan(cfg(**kw))).isdisjoint(keys(base)), kw
    assert keys(study.plan(cfg(k=3, lr=0.01))) == keys(base)  # 3 and 3.0 are one run
    assert keys(study.plan(cfg(sweep_ks=[5, 3, 2, 1]))) == keys(base)  # order of the sweep does not matter


def test_config_refuses_bad_values_naming_the_parameter():
    for kw, name in [({"cifar_epochs": 0}, "cifar_epochs"), ({"k": -1.0}, "k"), ({"lr": 0.0}, "lr"), ({"noise_rate": 1.5}, "noise_rate"),
                     ({"precision": "fp16"}, "precision"), ({"model_name": "vgg"}, "model_name"), ({"hangul_size": 128}, "hangul_size"),
                     ({"sweep_ks": [1.0, 1]}, "sweep_ks"), ({"sweep_ks": [-1.0]}, "sweep_ks"), ({"seeds": [0, 0]}, "seeds"),
                     ({"hangul_seeds": []}, "hangul_seeds"), ({"sweep_seeds": []}, "sweep_ks"), ({"eval_every": 0}, "eval_every"),
                     ({"batch_size": 1}, "batch_size"), ({"cifar_train_subset": -5}, "cifar_train_subset"), ({"pc_seeds": 3}, "pc_seeds")]:
        with pytest.raises(ConfigError, match=name):
            cfg(**kw)
    with pytest.raises(ConfigError, match="unknown parameter"):
        cfg(arms=["default"])
    no_extras = study.plan(cfg(pc_seeds=[], sweep_ks=[], sweep_seeds=[]))  # PC and the sweep are optional
    assert len(no_extras) == 4 + 4 + 3 + 3


def test_every_profile_matches_the_notebook_parameters():
    from simaug.run.params import read_parameters

    params = read_parameters(REPO / "notebooks" / "00_confusion_rate.ipynb")
    assert set(params) == {f for f in study.Config().to_dict()}
    for name, over in PROFILES["00_confusion_rate"].items():
        c = study.Config.from_params({**params, **over})
        assert study.plan(c), name
    report = study.Config.from_params({**params, **PROFILES["00_confusion_rate"]["report"]})
    cost = study.cost(report)  # the estimate in the profile's comment
    assert cost["runs"] == 44 and 4.2 < cost["estimated CPU-hours (2 cores)"] < 5.2  # 80 CIFAR-10 epochs
    assert 44.8 + 4.3 == pytest.approx(cost["training images (millions, 32x32 equivalent)"], abs=0.05)


# -- the loss-share bookkeeping ------------------------------------------------------------------
def test_loss_share_callback_matches_a_hand_computation():
    loss = CRLoss(num_classes=3, k=2.0)
    loss.update(torch.tensor([[5, 2, 1], [2, 5, 0], [3, 0, 5]]))  # 0<->1 mutual (H = 1), 0<->2: 1 vs 3
    cb = study.LossShareCallback(loss)
    logits = torch.tensor([[0.0, 2.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 4.0]])
    y = torch.tensor([0, 0, 2, 0])  # wrong (0 -> 1, H = 1), right, right, wrong (0 -> 2)
    cb.on_epoch_start(None, 0)
    cb.on_batch_end(None, {"logits": logits[:2], "targets": y[:2]})
    cb.on_batch_end(None, {"logits": logits[2:], "targets": y[2:]})
    record = {}
    cb.on_epoch_end(None, 0, record)
    h02 = -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))  # CR_02 = 1/4, CR_20 = 3/4
    w = torch.tensor([1 + 2 * 1.0, 1.0, 1.0, 1 + 2 * h02], dtype=torch.float64)
    ce = F.cross_entropy(logits, y, reduction="none").double()
    assert record["cr_loss_sum"] == pytest.approx(float((w * ce).sum()))
    assert record["cr_loss_share"] == pytest.approx(float(((w - 1) * ce).sum() / (w * ce).sum()))
    assert record["cr_errors"] == 2 and record["cr_extra_weight_per_error"] == pytest.approx((2 + 2 * h02) / 2)
    assert float(confusion_entropy(loss.cr)[0, 2]) == pytest.approx(h02, rel=1e-6)


def test_resize_set_averages_areas():
    x = torch.arange(16, dtype=torch.uint8).view(1, 1, 4, 4) * 10
    small = study.resize_set(ImageSet(x, torch.tensor([0]), ["a"], {}), 2)
    assert small.images.tolist() == [[[[25, 45], [105, 125]]]] and small.meta["resized_to"] == 2
    assert study.resize_set(small, 2) is small


def test_execute_one_tiny_cr_run(tmp_path):
    c = cfg(cifar_train_subset=300, cifar_test_subset=200, cifar_epochs=2, batch_size=50, device="cpu")
    spec = study.run_spec(c, "cifar10", "CR", 0)
    r = study.execute(spec, tmp_path)
    m, h = r.metrics, r.history
    assert m["n_train"] == 300 and m["n_test"] == 200 and m["epochs"] == 2 and len(m["classes"]) == 10
    assert m["noisy_share"] == pytest.approx(0.08, abs=0.005)  # 10% of the 8 paired classes' 240 images
    assert "train_time_s" not in h and list(h.epoch) == [1, 2] and h.test_acc.notna().all()
    assert m["test_acc"] == h.test_acc.iloc[-1] and m["train_acc"] == h.train_acc.iloc[-1]
    # the loss-share sums count the same forward passes as the trainer's loss and confusion matrix
    assert np.allclose(h.cr_loss_sum, h.train_loss * h.train_images, rtol=1e-4)
    assert list(h.cr_errors) == [round((1 - a) * 300) for a in h.train_acc]
    n_err = h.cr_errors.iloc[-1]
    assert m["cr_mean_weight_last"] == pytest.approx(1 + m["cr_extra_weight_per_error_last"] * n_err / 300, rel=1e-6)
    assert h.cr_loss_share.iloc[0] == 0.0 and m["cr_loss_share_integrated"] <= m["cr_loss_share_peak"]
    cms = r.arrays["train_cms"]
    assert cms.shape == (2, 10, 10) and cms.sum((1, 2)).tolist() == [300, 300] and r.arrays["test_cm"].sum() == 200
    assert r.provenance["datasets"][0]["label_noise"]["flipped"] == 24


# -- synthetic stored runs: gates and claims ------------------------------------------------------
def fake_runs(config, *, gain=2.0, hangul_gain=0.0, sd=0.3, hangul_sd=1.5, rise=0.0, train_acc=0.9, k_best=3.0, fade=True, seed=0):
    """One StoredRun per planned spec: CE accuracy 60% (CIFAR-10) / 80% (Hangul) plus the gain
    for CR, a per-seed shift shared by the arms, test evaluated every ``eval_every`` epochs."""
    rng = np.random.default_rng(seed)
    shift = {s: rng.normal(0, 1.0) for s in range(100)}
    out = []
    for spec in study.plan(config):
        d, loss, s = spec["dataset"], spec["loss"], spec["seed"]
        k = loss.get("k", 0.0) if loss["name"] != "pairwise_confusion" else None
        K = 10 if d == "cifar10" else 45
        base = 60.0 if d == "cifar10" else 80.0
        if loss["name"] == "cr":
            base += (gain - 1.5 * abs(k - k_best)) if d == "cifar10" else hangul_gain
        acc = base + shift[s] + rng.normal(0, sd if d == "cifar10" else hangul_sd)
        E, every = spec["train"]["epochs"], spec["train"]["eval_every"]
        epochs = np.arange(1, E + 1)
        test = np.where((epochs % every == 0) | (epochs == E), (acc + rise * (epochs - E) / 5) / 100, np.nan)
        hist = pd.DataFrame({"epoch": epochs, "train_loss": 1.0, "train_acc": train_acc, "train_images": 1000,
                             "test_loss": 1.0, "test_acc": test})
        metrics = {"train_acc": train_acc, "test_acc": acc / 100, "n_train": 1000, "n_test": 100 * K, "epochs": E,
                   "classes": [f"c{i}" for i in range(K)]}
        if loss["name"] == "cr":
            share = np.linspace(0.3, 0.05 if fade else 0.3, E)
            hist = hist.assign(cr_loss_share=share, cr_weighted_frac=share / 2, cr_loss_sum=1000.0, cr_extra_loss_sum=1000 * share,
                               cr_mean_weight=1.5, cr_extra_weight_per_error=1.0)
            metrics.update(study.run.shares(hist))
        per_class = np.clip(acc + rng.normal(0, 0.2, K), 1, 99)  # per-class accuracy (%), 100 test images per class
        cm = np.zeros((K, K), dtype=np.int32)
        for i in range(K):
            cm[i, i] = round(per_class[i])
            cm[i, (i + 1) % K] = 100 - cm[i, i]
        arrays = {"train_cms": np.stack([cm] * E).astype(np.uint16), "test_cm": cm}
        out.append(StoredRun(spec_key(spec), spec, RunResult(metrics, hist, arrays), Path(".")))
    return out


def by_id(claims):
    return {c.id: c for c in claims}


REPORTISH = dict(SMALL, seeds=list(range(8)), pc_seeds=[0, 1, 2], sweep_seeds=[0, 1, 2], hangul_seeds=list(range(8)),
                 cifar_epochs=40, hangul_epochs=40, eval_every=5)


def test_plateau_window_is_the_evaluated_epochs_of_the_last_five():
    c = cfg(**REPORTISH)
    ch = study.Chapter(fake_runs(c, rise=0.3), c)  # +0.3 points from epoch 35 to 40
    assert list(ch.plateau_window("cifar10").index) == [35, 40]
    g = {x.name: x for x in verdict.gates(ch, "cifar10")}
    plateau = g["noisy CIFAR-10: cross-entropy plateaued"]
    assert plateau.passed and plateau.measured == pytest.approx(0.3)
    assert verdict.gates(study.Chapter(fake_runs(c, rise=0.8), c), "cifar10")[0].passed is False
    assert verdict.gates(study.Chapter(fake_runs(c, rise=-0.8), c), "cifar10")[0].passed is False  # "within": a drop counts too


def test_claims_on_a_clear_synthetic_outcome():
    c = cfg(**REPORTISH)
    claims = by_id(verdict.claims(study.Chapter(fake_runs(c), c)))
    assert set(claims) == {"00-cr-gain-animal10n", "00-cr-gain-handb", "00-k3-best", "00-cr-vanishes-at-convergence",
                           "00-per-class"}
    beat = claims["00-cr-gain-animal10n"]
    assert beat.status == "reproduced" and beat.ours == pytest.approx(2.0, abs=0.4) and beat.n == 8 and beat.unit == "points"
    assert beat.source_value == (1.68, 3.38)
    assert claims["00-cr-gain-handb"].status == "below_resolution"  # a true 0 against 0.1-0.2: neither shown
    assert claims["00-k3-best"].status == "reproduced"
    assert claims["00-cr-vanishes-at-convergence"].status == "reproduced"
    assert claims["00-per-class"].status == "reproduced"
    assert all(c_.section == "verdict" and c_.chapter == "00_confusion_rate" for c_ in claims.values())


def test_claims_contradicted_and_uninformative():
    c = cfg(**REPORTISH)
    worse = by_id(verdict.claims(study.Chapter(fake_runs(c, gain=-3.0, k_best=1.0, fade=False), c)))
    assert worse["00-cr-gain-animal10n"].status == "contradicted"
    assert worse["00-k3-best"].status == "contradicted"  # k = 1 resolvably better
    assert worse["00-cr-vanishes-at-convergence"].status == "contradicted"
    assert worse["00-per-class"].status == "contradicted"
    underfit = by_id(verdict.claims(study.Chapter(fake_runs(c, train_acc=0.6), c)))  # the fit gate fails on both data sets
    assert {x.status for x in underfit.values()} == {"uninformative"}
    rising = by_id(verdict.claims(study.Chapter(fake_runs(c, rise=2.0), c)))  # not plateaued: every claim, both data sets
    assert {x.status for x in rising.values()} == {"uninformative"}
    assert "plateaued" in rising["00-cr-gain-animal10n"].reason


def test_one_seed_gives_no_interval_and_smoke_tables_render():
    c = study.Config()  # the smoke defaults: one seed, one epoch window that cannot plateau
    runs = fake_runs(c)
    ch = study.Chapter(runs, c)
    status = {x.id: x.status for x in verdict.claims(ch)}
    assert {status[i] for i in ("00-cr-gain-animal10n", "00-cr-gain-handb", "00-k3-best", "00-per-class")} \
        == {"below_resolution"}
    assert ch.summary().shape[0] == 5 and verdict.results_table(ch).shape == (5, 4)
    assert verdict.per_class_table(ch).shape == (10, 5) and ch.hangul_groups_table().shape == (3, 14)
    assert list(ch.sweep_table().columns) == [0.0, 1.0, 3.0]
    assert verdict.resolution_table(ch).shape[0] == 4 and verdict.design_table(c).shape[0] == 4
    with pytest.raises(KeyError, match="not among the runs"):
        study.Chapter(runs[:1], c).run("hangul", "CR", 0)


def test_pair_trajectories_pick_the_pairs_confused_over_the_whole_training():
    """A net that fits its training set has no confusion left in its last epoch (rendered
    Hangul): the pairs come from every epoch's matrix, so the figure is not empty."""
    c = study.Config()
    runs = fake_runs(c)
    for r in runs:
        cms = r.result.arrays["train_cms"].copy()
        cms[-1] = np.diag(cms[-1].sum(1))  # the last epoch: every training image right
        cms[0, 0, 2], cms[0, 2, 0] = 500, 400  # an early epoch: classes 0 and 2 mixed up most
        r.result.arrays["train_cms"] = cms
    for title, (histories, pairs, classes) in study.Chapter(runs, c).pair_trajectories().items():
        assert pairs[0] == (0, 2) and len(pairs) == 4, title


def test_figures_fit_the_page():
    c = study.Config()
    ch = study.Chapter(fake_runs(c), c)
    figs = [crplots.plot_arm_curves(h, t) for t, h in ch.curves().items()]
    figs += crplots.plot_confusion_panels(ch.confusions("cifar10"), ch.classes("cifar10"))
    hangul = crplots.plot_confusion_panels(ch.confusions("hangul"), ch.classes("hangul"), ch.groups("hangul"))
    assert len(hangul) == 2  # 45 classes: one figure per matrix, labels legible
    figs += hangul + [crplots.plot_cr_heatmaps(ch.cr_heatmaps(), ch.classes("cifar10")),
                      crplots.plot_pair_trajectories(ch.pair_trajectories()), crplots.plot_weighting(ch.weighting_history()),
                      crplots.plot_k_sweep(ch.sweep()), crplots.plot_glyphs(np.zeros((45, 1, 8, 8)), range(45), ch.classes("hangul"))]
    for fig in figs:
        assert fig.get_figwidth() <= 10.0 and fig.dpi >= 150
    plt.close("all")


def test_losses_import_neither_the_trainer_nor_the_model_registry():
    for path in (REPO / "simaug" / "losses").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [("." * node.level) + (node.module or "")] if isinstance(node, ast.ImportFrom) else []
            for n in names:
                assert not n.startswith(("simaug.train", "simaug.models", "..train", "..models")), f"{path.name} imports {n}"


def test_revision_table_reports_the_gates_of_an_earlier_execution():
    """A design revised after a failed gate shows that gate at the earlier setting, from the
    earlier execution's cross-entropy runs only; an execution not in the store says so."""
    c40 = cfg(**REPORTISH)
    c80 = cfg(**dict(REPORTISH, cifar_epochs=80))
    ce = [r for r in fake_runs(c40, rise=-0.8) if r.spec["dataset"] == "cifar10" and r.spec["loss"]["name"] == "cross_entropy"]
    table = verdict.revision_table([(c40, ce), (c80, [])])
    rows = table.to_dict("records")
    assert [r["passed"] for r in rows[:2]] == ["NO", "yes"]  # plateau failed (-0.8 points), fit passed
    assert rows[0]["execution"] == "40 epochs, 8 seeds" and "0.80 points" in rows[0]["measured"]
    assert rows[2]["execution"] == "80 epochs" and "not in the store" in rows[2]["measured"]


def test_session_earlier_loads_only_the_stored_runs_of_the_changed_config(tmp_path, monkeypatch):
    from simaug.run.session import StudySession
    from simaug.runstore import RunStore

    monkeypatch.setenv("SIMAUG_RESULTS", str(tmp_path))
    params = {**{k: v for k, v in vars(study.Config()).items()}, **REPORTISH, "cifar_epochs": 80}
    session = StudySession("00_confusion_rate", params)
    c40 = cfg(**REPORTISH)
    store = RunStore(tmp_path / "runs")
    ce = [r for r in fake_runs(c40) if r.spec["dataset"] == "cifar10" and r.spec["loss"]["name"] == "cross_entropy"]
    for r in ce:
        store.write(r.spec, r.result)
    config, runs = session.earlier(cifar_epochs=40)
    assert config.cifar_epochs == 40 and config.seeds == c40.seeds
    assert sorted(r.key for r in runs) == sorted(r.key for r in ce)
    assert session.earlier(cifar_epochs=60)[1] == []
