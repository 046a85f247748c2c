"""The chapter-03 study (generated vs real data, Bayes by Backprop, calibration): plan invariants,
config checks, tiny executes (the generator run, a run regenerating its samples, a BNN run), and
the gate / claim logic (simaug.report.chapters.generated_data) on synthetic stored runs."""
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from simaug.report import compare
from simaug.report.chapters import generated_data as verdict
from simaug.run.params import read_parameters
from simaug.run.profiles import profile_params
from simaug.runstore import RunResult, StoredRun, spec_key
from simaug.studies import ConfigError, get_study
from simaug.studies import generated_data as study
from simaug.studies.generated_data import specs as S

NB = Path(__file__).resolve().parents[1] / "notebooks" / "03_generated_data_calibration.ipynb"


def config(profile="smoke", **over):
    return study.Config(**{**profile_params(study.NAME, profile), **over})


# -- config --------------------------------------------------------------------------------
def test_registered_and_defaults_are_the_parameters_cell():
    assert get_study("03_generated_data_calibration") is study
    assert study.Config().to_dict() == read_parameters(NB)


@pytest.mark.parametrize("name, value", [
    ("gan_epochs", 0), ("gan_width", 2), ("gan_lr", 0.0), ("generator_name", "vae"), ("sources", []),
    ("sources", ["real", "real"]), ("sources", ["fake"]), ("real_subset", 5), ("generated_subset", 0),
    ("test_subset", 50), ("epochs", 0), ("optimizer", "rmsprop"), ("weight_decay", -1.0), ("bnn_sources", ["small_real"]),
    ("bnn_seeds", []), ("kl_weight", float("nan")), ("mc_samples", 1), ("calibration_weight_decays", [0.0, 0.0]),
    ("calibration_weight_decays", [-0.1]), ("calibration_seeds", [1, 1]), ("ece_bins", 1), ("ood_subset", 20000),
    ("precision", "fp16"), ("model_name", "vgg"), ("gan_batch_size", 4000), ("earlier_gan_epochs", [0]),
    ("earlier_gan_epochs", 15),
])
def test_config_refuses_bad_values_naming_the_parameter(name, value):
    with pytest.raises(ConfigError, match=name.split("[")[0]):
        study.Config(**{name: value})


def test_unknown_parameter_is_an_error():
    with pytest.raises(ConfigError, match="unknown parameter"):
        study.Config.from_params({"epoch": 3})


# -- plan ----------------------------------------------------------------------------------
def test_report_plan_is_the_issue_15_design():
    cfg = config("report")
    specs = study.plan(cfg)
    assert len(specs) == 1 + 4 * 5 + 2 * 2 * 3 + 2 * 3 == len({spec_key(s) for s in specs})
    gen = specs[0]
    assert gen["kind"] == "generator" and gen == study.generator_spec(cfg)
    assert gen["data"]["subset"] == 0 and gen["train"]["epochs"] == 40 and gen["generator"] == {"name": "cdcgan", "width": 32}
    arms = study.arms(cfg)
    count = Counter((a.part, a.arm) for a in arms)
    assert {k: v for k, v in count.items() if k[0] == "sources"} == {("sources", s): 5 for s in study.SOURCES}
    assert sum(v for k, v in count.items() if k[0] == "bnn") == 12 and all(v == 3 for k, v in count.items() if k[0] != "sources")
    by = {(a.part, a.arm, a.seed): a.spec for a in arms}
    real, gen10, mixed, small = (by["sources", s, 0] for s in ("real", "generated", "small_real+generated", "small_real"))
    # what each run trains on: 10k real, 10k generated from the planned generator, 1k real (+ the same 10k generated)
    assert real["data"]["train"] == [S.real_part(10000)] and small["data"]["train"] == [S.real_part(1000)]
    assert gen10["data"]["train"] == [{"source": "generated", "generator": gen, "n": 10000, "latent_seed": S.LATENT_SEED}]
    assert mixed["data"]["train"] == [S.real_part(1000), gen10["data"]["train"][0]]
    assert real["data"]["test"]["subset"] == 0  # the full test set everywhere
    # the recipe: flip + crop, 30 epochs, SGD with weight decay; the BNN part Adam without; calibration on all 50k
    t = real["train"]
    assert (t["epochs"], t["crop_padding"], t["flip"], t["optimizer"], t["weight_decay"], t["eval_every"]) == (30, 4, True, "sgd", 0.0005, 5)
    bbb = by["bnn", S.bnn_arm("real", "bbb"), 2]
    twin = by["bnn", S.bnn_arm("real", "deterministic"), 2]
    assert bbb["method"]["name"] == "bbb" and bbb["method"]["kl_weight"] == 1.0 and bbb["method"]["mc_samples"] == 10
    assert {k: v for k, v in bbb.items() if k != "method"} == {k: v for k, v in twin.items() if k != "method"}
    assert bbb["train"]["optimizer"] == "adam" and bbb["train"]["weight_decay"] == 0.0
    cal = [a.spec for a in arms if a.part == "calibration"]
    assert {s["train"]["weight_decay"] for s in cal} == {0.0, 0.0005}
    assert all(s["data"]["train"] == [S.real_part(0)] and s["train"]["epochs"] == 30 for s in cal)
    assert all(s["evaluation"]["ece_bins"] == 15 and s["precision"] == "fp32" for s in specs[1:])


def test_paper_profile_shares_the_generator_and_calibration_runs_with_report():
    rep, pap = config("report"), config("paper")
    assert study.plan(pap)[0] == study.plan(rep)[0]  # the same generator run
    cal = lambda c: {spec_key(a.spec) for a in study.arms(c) if a.part == "calibration"}  # noqa: E731
    assert cal(pap) == cal(rep) and len(cal(rep)) == 6
    by = {(a.part, a.arm, a.seed): a.spec for a in study.arms(pap)}
    assert by["sources", "real", 0]["data"]["train"] == [S.real_part(0)]
    assert by["sources", "generated", 0]["data"]["train"][0]["n"] == 50000
    assert {a.arm for a in study.arms(pap) if a.part == "bnn"} == {S.bnn_arm("generated", "bbb"), S.bnn_arm("generated", "deterministic")}


def test_shared_runs_are_planned_once_and_unused_generator_is_left_out():
    cfg = config(calibration_subset=1000, calibration_epochs=3, calibration_weight_decays=[0.0005], calibration_seeds=[0],
                 sources=["real", "small_real"], bnn_sources=[])
    specs = study.plan(cfg)
    arms = study.arms(cfg)
    assert len(arms) == 3 and len(specs) == 2  # calibration's arm is the real source's run; no generator planned
    assert all(s["kind"] == "classifier" for s in specs)
    real = next(a for a in arms if a.arm == "real")
    cal = next(a for a in arms if a.part == "calibration")
    assert real.spec == cal.spec


@pytest.mark.parametrize("name, value, changes", [
    ("gan_epochs", 3, {"generator", "generated", "small_real+generated"}),
    ("gan_width", 16, {"generator", "generated", "small_real+generated"}),
    ("generated_subset", 500, {"generated", "small_real+generated"}),
    ("real_subset", 2000, {"real", "bbb", "twin"}),  # the BNN part trains on the real subset too
    ("small_real_subset", 200, {"small_real+generated", "small_real"}),
    ("weight_decay", 0.0, {"real", "generated", "small_real+generated", "small_real"}),
    ("kl_weight", 0.5, {"bbb"}),
    ("mc_samples", 8, {"bbb"}),
    ("calibration_epochs", 4, {"calibration"}),
    ("test_subset", 0, {"real", "generated", "small_real+generated", "small_real", "bbb", "twin", "calibration"}),
    ("precision", "bf16", {"real", "generated", "small_real+generated", "small_real", "bbb", "twin", "calibration"}),
])
def test_keys_change_exactly_for_the_runs_a_parameter_touches(name, value, changes):
    def keys(cfg):
        out = {"generator": spec_key(study.generator_spec(cfg)), "calibration": set()}
        for a in study.arms(cfg):
            if a.part == "calibration":
                out["calibration"].add(spec_key(a.spec))
            else:
                label = a.arm if a.part == "sources" else "bbb" if a.spec["method"]["name"] == "bbb" else "twin"
                out[label] = spec_key(a.spec)
        return out

    before, after = keys(config()), keys(config(**{name: value}))
    assert {k for k in before if before[k] != after[k]} == changes


# -- execute -------------------------------------------------------------------------------
TINY = dict(gan_width=4, gan_train_subset=64, gan_epochs=1, gan_batch_size=32, real_subset=100, small_real_subset=20,
            generated_subset=60, test_subset=100, epochs=1, batch_size=32, mc_samples=2, ood_subset=30,
            calibration_subset=100, calibration_epochs=1, device="cpu")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("work")
    cfg = study.Config(**TINY, bnn_sources=["generated"])
    gen = study.generator_spec(cfg)
    g = study.execute(gen, root / spec_key(gen))
    by = {(a.part, a.arm): a.spec for a in study.arms(cfg)}
    mixed = by["sources", "small_real+generated"]
    m = study.execute(mixed, root / spec_key(mixed))
    bbb = by["bnn", S.bnn_arm("generated", "bbb")]
    b = study.execute(bbb, root / spec_key(bbb))
    return root, cfg, gen, g, mixed, m, b


def test_generator_run_stores_samples_and_leaves_its_weights_in_the_work_folder(tiny):
    root, cfg, gen, g, *_ = tiny
    assert g.metrics["epochs"] == 1 and g.metrics["steps"] == 2 and g.metrics["n_train"] == 64
    assert g.arrays["samples"].shape == (60, 3, 32, 32) and g.arrays["samples"].dtype == np.uint8
    assert np.bincount(g.arrays["sample_labels"]).tolist() == [6] * 10
    assert list(g.history.columns)[:1] == ["epoch"] and "seconds" not in g.history
    assert study.weights_path(gen, root / "x") == root / "_generators" / f"{spec_key(gen)}.pt"
    assert study.weights_path(gen, root / "x").is_file()
    assert g.provenance["datasets"][0]["name"] == "cifar10"


def test_classifier_run_regenerates_the_same_samples_from_the_weights_or_a_retraining(tiny, capsys):
    root, cfg, gen, g, mixed, m, _ = tiny
    assert m.metrics["generator_sha256"] == g.metrics["generator_sha256"]
    assert m.metrics["n_train"] == 20 + 60 and m.metrics["n_test"] == 100
    # without the saved weights the run re-trains the generator from its spec: bit-identical here
    other = root.parent / "elsewhere"
    w = study.weights_path(gen, root / "x")
    w.rename(w.with_suffix(".bak"))
    try:
        again = study.execute(mixed, other / "run")
    finally:
        w.with_suffix(".bak").rename(w)
    assert "re-training it" in capsys.readouterr().out
    assert again.metrics["generator_sha256"] == g.metrics["generator_sha256"]
    assert again.metrics["generated_images_sha256"] == m.metrics["generated_images_sha256"]
    assert again.metrics == m.metrics


def test_classifier_metrics_and_artefacts(tiny):
    *_, m, b = tiny
    for r in (m, b):
        for k in ("train_acc", "test_acc", "ece", "ece_ts", "nll", "nll_ts", "brier", "brier_ts", "temperature",
                  "overconfidence", "auroc_entropy_0", "auroc_entropy_1"):
            assert isinstance(r.metrics[k], float) and math.isfinite(r.metrics[k]), k
        rel = r.arrays["reliability"]  # (before/after, bins, count/accuracy/confidence)
        assert rel.shape == (2, 15, 3) and rel[0, :, 0].sum() == rel[1, :, 0].sum() == 100
        cm = r.arrays["test_cm"]
        assert cm.sum() == 100 and np.trace(cm) == round(100 * r.metrics["test_acc"])
        assert r.arrays["entropy_hist"].shape == (3, S.ENTROPY_BINS) and r.arrays["entropy_hist"][0].sum() == 100
        assert r.arrays["entropy_hist"][1:].sum(1).tolist() == [30, 30]
        assert len(r.metrics["temperatures"]) == 2 and r.metrics["temperature"] == pytest.approx(np.mean(r.metrics["temperatures"]))
        assert "train_time_s" not in r.history and "images_per_s" not in r.history
    # the Bayesian run: MC-averaged predictive, its posterior width and KL per example, the MI score
    assert b.metrics["kl_per_example"] > 0 and 0 < b.metrics["bbb_sigma_mean"] < 1 and "auroc_mi_0" in b.metrics
    assert "auroc_mi_0" not in m.metrics and "bbb_sigma_mean" not in m.metrics


# -- results: gates and claims on synthetic stored runs -------------------------------------
def synthetic(cfg, acc, ece=None, temperature=1.2, sha="w"):
    """A stored run for every planned spec; ``acc(part, arm, seed)`` gives the test accuracy (0-1)."""
    runs = []
    bins = cfg.ece_bins
    for spec in study.plan(cfg):
        if spec["kind"] == "generator":
            metrics = {"epochs": 2, "steps": 62, "n_train": 2000, "n_params": 1, "generator_sha256": sha, "final_d_loss": 1.0}
            arrays = {"samples": np.zeros((60, 3, 32, 32), np.uint8), "sample_labels": np.repeat(np.arange(10), 6)}
        else:
            a = next(a for a in study.arms(cfg) if spec_key(a.spec) == spec_key(spec))
            e = ece(a) if ece else 0.05
            metrics = {"train_acc": 0.9, "test_acc": acc(a.part, a.arm, a.seed), "ece": e, "ece_ts": e / 2,
                       "nll": 1.0, "nll_ts": 0.9, "temperature": temperature, "overconfidence": 0.01, "n_test": 10000,
                       "n_train": 10000, "epochs": 30, "auroc_entropy_0": 0.7, "auroc_entropy_1": 0.6}
            if S.uses_generator(spec):
                metrics["generator_sha256"] = "w"
            rel = np.zeros((2, bins, 3))
            rel[:, -1] = [10000, 0.9, 0.95]
            arrays = {"reliability": rel, "test_cm": np.eye(10) * 100, "entropy_hist": np.ones((3, 20)),
                      "entropy_edges": np.linspace(0, math.log(10), 21)}
        runs.append(StoredRun(spec_key(spec), spec, RunResult(metrics, None, arrays), Path("/nonexistent")))
    return runs


def report_like():
    return study.Config(seeds=[0, 1, 2, 3, 4], bnn_seeds=[0, 1, 2], calibration_seeds=[0, 1, 2], bnn_sources=["real", "generated"])


def accuracies(gen=0.35):
    base = {"real": 0.60, "generated": gen, "small_real+generated": 0.45, "small_real": 0.38}
    noise = [0.004, -0.003, 0.002, -0.001, 0.0]

    def acc(part, arm, seed):  # arm-specific noise, so paired differences have a spread
        wobble = noise[seed] * (1 + len(arm) % 3)
        if part == "sources":
            return base[arm] + wobble
        if part == "bnn":
            return (0.15 if "Bayes" in arm else 0.55) + wobble
        return 0.7 + wobble
    return acc


def test_claims_on_synthetic_runs():
    cfg = report_like()
    ece = lambda a: (0.03 + 0.002 * a.seed) if "0.0005" in a.arm else (0.05 + 0.001 * a.seed)  # noqa: E731
    res = study.Results(cfg, synthetic(cfg, accuracies(), ece, temperature=0.8))
    gates = verdict.gates(res)
    assert all(g.passed for g in gates.values()), [g.summary() for g in gates.values()]
    claims = {c.id: c for c in verdict.claims(res)}
    # a resolved 25-point gap is far outside ±5 points: contradicted, with the paired difference as ours
    c = claims["03-generated-vs-real"]
    assert c.status == "contradicted" and c.ours == pytest.approx(-25.0, abs=0.5) and c.n == 5
    assert claims["03-generated-augments-small-real"].status == "reproduced"
    assert claims["03-bnn-collapse-real"].status == claims["03-bnn-collapse-generated"].status == "reproduced"
    assert claims["03-weight-decay-lowers-ece"].status == "reproduced"
    assert claims["03-temperature-scaling-lowers-ece"].status == "reproduced"
    over = claims["03-networks-overconfident"]  # T = 0.8 < 1: under-confident, the opposite of Guo et al.
    assert over.status == "below_resolution" and "under-confident" in over.reason  # zero spread: no interval
    # the comparisons table holds the same paired difference as compare()
    table = verdict.comparisons(res)
    assert table.loc["test accuracy: generated − real", "n"] == 5
    direct = compare(res.values("sources", "generated", "test_acc"), res.values("sources", "real", "test_acc"))
    assert direct.diff == pytest.approx(c.ours) and table.loc["test accuracy: generated − real", "difference"].startswith("−2")


def test_a_failed_generator_gate_makes_every_generated_data_claim_uninformative():
    cfg = report_like()
    res = study.Results(cfg, synthetic(cfg, accuracies(gen=0.12)))
    assert not verdict.gates(res)["generator"].passed and verdict.gates(res)["generator"].measured == pytest.approx(12.0, abs=0.1)
    claims = {c.id: c for c in verdict.claims(res)}
    for cid in ("03-generated-vs-real", "03-generated-augments-small-real", "03-bnn-collapse-generated"):
        assert claims[cid].status == "uninformative" and "generator" in claims[cid].reason
    assert claims["03-bnn-collapse-real"].status == "reproduced"  # real-data claims keep their status


def test_revision_table_reports_the_generator_gate_of_an_earlier_execution():
    """A design re-run with a longer-trained generator shows the earlier execution's generator
    gates from its stored generated-data runs alone; an execution not in the store says so."""
    import dataclasses

    cfg = report_like()
    earlier = dataclasses.replace(cfg, gan_epochs=15, sources=["generated"], bnn_sources=[], calibration_weight_decays=[])
    runs = synthetic(earlier, accuracies(gen=0.22))
    assert len(runs) == 1 + 5  # the generator and the five classifiers on its samples
    table = verdict.revision_table([(earlier, runs), (dataclasses.replace(earlier, gan_epochs=7), [])])
    first = table[table.execution == "generator 15 epochs, 5 seeds"].set_index("gate")
    assert first.loc["generator's samples train a classifier", "passed"] == "NO"
    assert first.loc["generator's samples train a classifier", "measured"].startswith("22.")
    assert first.loc["same generated data", "passed"] == "yes"
    assert table.iloc[-1].execution == "generator 7 epochs" and "not all in the store" in table.iloc[-1].measured


def test_weights_of_another_generator_fail_the_same_data_gate():
    cfg = report_like()
    res = study.Results(cfg, synthetic(cfg, accuracies(), sha="other"))
    g = verdict.gates(res)["same_data"]
    assert not g.passed and g.measured == "0 of 16 runs"  # 5 + 5 source runs, 3 + 3 BNN runs on generated images
    assert {c.id: c.status for c in verdict.claims(res)}["03-generated-vs-real"] == "uninformative"


def test_small_test_set_fails_the_calibration_gate_and_figure_inputs():
    cfg = study.Config()
    runs = synthetic(cfg, accuracies())
    for r in runs:
        if r.spec["kind"] == "classifier":
            r.result.metrics["n_test"] = 1000
    res = study.Results(cfg, runs)
    claims = {c.id: c.status for c in verdict.claims(res)}
    assert claims["03-weight-decay-lowers-ece"] == claims["03-temperature-scaling-lowers-ece"] == "uninformative"
    tables, rows, cols = res.reliability_panels()
    assert len(rows) == 2 and cols == [S.bnn_arm("real", "deterministic"), S.bnn_arm("real", "bbb"), "weight decay 0",
                                       "weight decay 0.0005"]
    assert all(t["count"].sum() == 10000 for t in tables.values())
    panels, prow, pcol = res.ood_panels()
    assert prow == list(S.OOD_SETS) and len(panels) == 2 * len(pcol)
    assert res.generated_confusion().sum() == 1000
    assert list(res.sample_panels(np.zeros((1, 3, 32, 32), np.uint8), np.zeros(1)))[1].startswith("generated")
    assert len(res.summary()) == 8 and res.calibration_table().loc["weight decay 0", "confidence"] == "over-confident (T > 1)"


def test_results_refuse_an_incomplete_set_of_runs():
    cfg = study.Config()
    runs = synthetic(cfg, accuracies())
    with pytest.raises(KeyError, match="session.runs"):
        study.Results(cfg, runs[:-1])


def test_a_bayes_predictive_depends_on_the_batch_split_so_the_study_fixes_it():
    """A Bayes net draws its weights once per forward: the same images in other batches see
    other draws. So chapter 03 evaluates in batches of ``EVAL_BATCH_SIZE`` (the stored runs'
    1000) whatever the Trainer's default, unless a spec's recipe names its own."""
    from simaug.bayes import BayesLinear, mc_predict
    from simaug.studies.generated_data import classifier_run

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), BayesLinear(12, 3))
    x = torch.rand(12, 3, 2, 2)
    assert not torch.equal(mc_predict(net, x, 2, batch_size=12, seed=0), mc_predict(net, x, 2, batch_size=4, seed=0))
    spec = next(s for s in study.plan(config()) if s["kind"] == "classifier")
    assert classifier_run.recipe(spec)["eval_batch_size"] == classifier_run.EVAL_BATCH_SIZE == 1000
    own = {**spec, "train": {**spec["train"], "eval_batch_size": 64}}
    assert classifier_run.recipe(own)["eval_batch_size"] == 64
