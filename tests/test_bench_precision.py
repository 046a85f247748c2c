"""Benchmark and parity-check machinery: alternating rounds, per-round ratios, pure
forward+backward at a precision, a campaign design's epoch accounting, and the parity
summary rendered from its record (never timing assertions)."""
import math
import statistics

import pytest
import torch
import torch.nn as nn

from simaug.bench import campaign, precision as parity
from simaug.bench.timing import PureStep, alternating_rounds, median_ci, pure_forward_backward, ratio_summary
from simaug.data import ImageSet

pytestmark = pytest.mark.filterwarnings("ignore::simaug.precision.EmulatedBf16Warning")


def test_rounds_alternate_and_record_the_load():
    calls = []
    fns = {"a": lambda: (calls.append("a"), (10, 2.0, 2.0))[1], "b": lambda: (calls.append("b"), (10, 1.0, 1.0))[1]}
    out = alternating_rounds(fns, rounds=3, warmup=True)
    # one warm-up call each, then a, b in even rounds and b, a in odd ones
    assert calls == ["a", "b"] + ["a", "b", "b", "a", "a", "b"]
    assert [r["images_per_s"] for r in out["a"]] == [r["images_per_cpu_s"] for r in out["a"]] == [5.0] * 3
    assert all(isinstance(r["load_1min"], float) for r in out["a"] + out["b"])
    s = ratio_summary(out["b"], out["a"])
    assert s["median"] == s["min"] == s["max"] == 2.0 and s["per_round"] == [2.0] * 3


def test_rounds_reverse_their_order_every_other_round():
    calls = []
    fns = {k: (lambda k=k: (calls.append(k), (1, 1.0, 1.0))[1]) for k in "abc"}
    alternating_rounds(fns, rounds=4, warmup=False)
    assert calls == list("abc" "cba" "abc" "cba")


def _binomial_coverage(n, k):
    """P(x_(k) <= median <= x_(n+1-k)) for a continuous distribution: 1 - 2 P(Bin(n, 1/2) < k)."""
    return 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2**n


@pytest.mark.parametrize("n", [1, 2, 5, 6, 9, 10, 25, 40])
def test_median_ci_is_the_widest_order_statistic_pair_with_the_coverage(n):
    values = [float(v) for v in torch.randperm(n, generator=torch.Generator().manual_seed(n)).tolist()]
    low, high, coverage = median_ci(values)
    ks = [k for k in range(1, (n + 1) // 2 + 1) if _binomial_coverage(n, k) >= 0.95]
    k = max(ks) if ks else 1  # the narrowest interval that still covers 95%; the range if none does
    assert (low, high) == (float(k - 1), float(n - k))  # the values are a permutation of 0..n-1
    assert coverage == pytest.approx(_binomial_coverage(n, k))
    assert low <= statistics.median(values) <= high


def test_median_ci_covers_the_median_at_its_stated_rate():
    """Simulation: 2,000 samples of 25 exponential ratios; the interval holds the true median
    (ln 2) in about 95.7% of them (the exact coverage of k = 8 at n = 25)."""
    g = torch.Generator().manual_seed(0)
    hits, trials = 0, 2000
    for _ in range(trials):
        x = (-torch.rand(25, generator=g).log()).tolist()
        low, high, coverage = median_ci(x)
        hits += low <= math.log(2) <= high
    assert coverage == pytest.approx(0.9567, abs=1e-4)
    assert abs(hits / trials - coverage) < 3 * math.sqrt(coverage * (1 - coverage) / trials)


def test_ratio_summary_is_the_median_of_per_round_ratios():
    num = [{"images_per_s": v} for v in (10.0, 30.0, 20.0)]
    den = [{"images_per_s": v} for v in (10.0, 10.0, 40.0)]
    s = ratio_summary(num, den)  # ratios 1, 3, 0.5: the median is 1 (not 20 / 10)
    assert (s["median"], s["min"], s["max"]) == (1.0, 0.5, 3.0)
    assert (s["ci_low"], s["ci_high"], s["ci_coverage"]) == (0.5, 3.0, 0.75)  # 3 rounds: the range, 1 - 2/8


def test_pure_forward_backward_counts_images_and_runs_at_its_precision():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    seen = []
    model[0].register_forward_pre_hook(
        lambda m, a: seen.append(torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else a[0].dtype))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.rand(6, 3, 8, 8), torch.tensor([0, 1] * 3)
    n, wall, cpu = pure_forward_backward(model, opt, x, y, steps=3, precision="bf16", last=(x[:4], y[:4]))
    assert n == 3 * 6 + 4 and wall > 0 and cpu >= 0
    assert seen == [torch.bfloat16] * 4
    assert all(p.dtype == torch.float32 for p in model.parameters())


def toy_cifar(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return ImageSet(torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8),
                    torch.arange(n) % 10, [str(i) for i in range(10)], {"name": "toy"})


def test_campaign_cam_erasing_epoch_matches_pure_images_and_times_its_parts():
    torch.manual_seed(0)
    d = campaign.DESIGNS["02"]
    out = campaign.run_design(d, toy_cifar(260), toy_cifar(40, seed=1), ["bf16"], rounds=1, eval_every=5, scale=1.0)
    s = out["precisions"]["bf16"]
    m = out["measurements"]
    # 260 = 2 x 128 + 4: steps of 256 and a last one of 8 with the erased copies appended
    assert m["epoch bf16"][0]["images"] == m["pure bf16"][0]["images"] == 2 * 260
    parts = s["time_parts_s"]
    assert parts["CAM pass"] > 0 and parts["callbacks (augment, CAM)"] >= parts["CAM pass"]
    assert parts["evaluation / 5"] == pytest.approx(parts["evaluation (one, full)"] / 5)
    cpu = s["time_parts_cpu_s"]
    assert sum(v for k, v in cpu.items() if k not in ("CAM pass", "evaluation (one, full)")) == pytest.approx(
        s["epoch_cpu_seconds"], rel=1e-6)  # the parts add up to the epoch
    assert s["cam_pass_vs_eval_forward"]["median"] > 0
    assert "CAM pass" in campaign.table_rows([out])[0]["target"] and len(campaign.parts_lines([out])) == 2


def test_parity_summary_is_rendered_from_the_record():
    rec = {
        "models": [{"model": "simple_cnn", "baseline": "b", "epochs": 8, "seeds": [0, 1],
                    "test_acc": {"fp32": [0.6012, 0.6100], "bf16": [0.6050, 0.6080]},
                    "difference_points": {"diff": 0.09, "ci": [-1.25, 1.43], "n": 2, "sd": 0.5},
                    "evaluation_difference_points": {"diff": -0.015, "ci": [-0.04, 0.01], "n": 4, "max_abs_points": 0.07,
                                                     "min_argmax_agreement": 0.9951},
                    "max_abs_effect_points": 1.43, "train_seconds": {"fp32": 120.0, "bf16": 60.0},
                    "bf16_speedup": 2.0}],
        "wall_time_s": 5.0, "runs_wall_time_s": 600.0, "load_1min_range": [1.0, 9.5],
        "provenance": {"device": {"cpu_count": 2, "cpu_native_bf16": True, "cpu_bf16_flags": ["avx512_bf16"]},
                       "commit": "0123456789abcdef", "versions": {"torch": "2.x"}},
    }
    md = parity.render_markdown(rec)
    for s in ("| simple_cnn | b | 8 | 2 | 60.56 | 60.65 | 0.62 / 0.21 | +0.09 | [-1.25, +1.43] | 2.0 / 1.0 min (2.00x) |",
              "seed 0 60.12 / 60.50", "not resolved and the interval allows effects up to 1.43 points",
              "SD 0.50 points, against a seed-to-seed SD of 0.62", "simple_cnn: -0.015 points (95% CI [-0.040, +0.010]), "
              "at most 0.07 for one model, the same predicted class for 99.5% or more of the test images (n = 4 models)", "10 min (the runs'", "1.0–9.5", "`0123456789ab`"):
        assert s in md, s
    rec["models"][0]["difference_points"]["ci"] = [math.nan, math.nan]
    md = parity.render_markdown(rec)
    assert "| n/a |" in md and "no interval (2 pairs)" in md


def test_parity_recipes_follow_the_designs():
    c = parity.train_config("resnet20", 8, seed=2, precision="bf16")
    assert (c.milestones, c.lr, c.weight_decay, c.crop_padding, c.flip) == ((4, 6), 0.1, 5e-4, 4, True)
    assert (c.precision, c.seed, c.eval_every) == ("bf16", 2, 8)
    s = parity.train_config("simple_cnn", 8, seed=0, precision="fp32")
    assert (s.lr, s.momentum, s.crop_padding, s.flip, s.schedule) == (0.01, 0.9, 0, False, "constant")


def test_parity_keeps_the_runs_of_an_earlier_record_for_the_same_recipe(tmp_path):
    runs = {p: [{"seed": s, "test_acc": a, "train_acc": 0.7, "test_loss": 1.0, "train_seconds": 10.0,
                 "fit_wall_s_this_call": 12.0, "load_1min_before": 1.0, "load_1min_after": 2.0}
                for s, a in zip((0, 1, 2), accs)]
            for p, accs in (("fp32", (0.50, 0.52, 0.51)), ("bf16", (0.51, 0.52, 0.53)))}
    cfgs = {p: parity.train_config("simple_cnn", 2, 0, p).to_dict() for p in runs}
    (tmp_path / "p.json").write_text(__import__("json").dumps(
        {"models": [{"model": "simple_cnn", "epochs": 2, "runs": runs, "train_config": cfgs}]}))
    prev = parity.previous_runs(tmp_path / "p.json")
    assert len(prev) == 6 and prev[("simple_cnn", "bf16", 2, 2)]["run_wall_s"] == 12.0
    m = parity.parity("simple_cnn", [0, 1, 2], 2, tmp_path / "work", log=lambda s: None, previous=prev)
    assert not (tmp_path / "work").exists()  # nothing retrained
    from simaug.report import compare
    ref = compare([51.0, 52.0, 53.0], [50.0, 52.0, 51.0])
    d = m["difference_points"]
    assert d["n"] == 3 and d["diff"] == pytest.approx(1.0) and d["ci"] == pytest.approx(list(ref.ci))
    # another recipe (here: other epochs in the stored config) is retrained, not reused
    cfgs["fp32"]["lr"] = 0.5
    (tmp_path / "q.json").write_text(__import__("json").dumps(
        {"models": [{"model": "simple_cnn", "epochs": 2, "runs": runs, "train_config": cfgs}]}))
    assert {k[1] for k in parity.previous_runs(tmp_path / "q.json")} == {"bf16"}


def test_pure_step_trains_a_private_copy_reset_before_every_measurement():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    pure = PureStep(model, opt, torch.rand(6, 3, 8, 8), torch.tensor([0, 1] * 3), "fp32")
    pure(3)
    after_one = {k: v.clone() for k, v in pure.model.state_dict().items()}
    pure(3)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the original is untouched
    assert not opt.state  # and so is its optimiser
    assert all(torch.equal(after_one[k], v) for k, v in pure.model.state_dict().items())  # same start each time


def test_pure_step_follows_the_current_state_of_the_model_it_is_compared_with():
    """follow=True: every measurement starts from the source's weights, batch-norm statistics,
    momentum buffers and learning rate as they are then: its steps equal the same steps taken
    by the source's own optimiser from there."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    x, y = torch.rand(6, 3, 8, 8), torch.tensor([0, 1] * 3)
    pure = PureStep(model, opt, x, y, "fp32", follow=True)
    pure_forward_backward(model, opt, x, y, 2)  # the source trains on: weights, running stats, momentum move
    opt.param_groups[0]["lr"] = 0.05
    twin = __import__("copy").deepcopy((model, opt))
    pure(3)
    pure_forward_backward(twin[0], twin[1], x, y, 3)
    assert all(torch.equal(a, b) for a, b in zip(pure.model.state_dict().values(), twin[0].state_dict().values()))


def test_pure_step_leaves_denormals_alone_unless_asked():
    """The trainer does not flush denormals, so its reference does not either by default."""
    seen = []
    model = nn.Linear(2, 2)
    tiny = torch.tensor([[1e-40, 0.0]])  # a float32 denormal
    model.register_forward_hook(lambda m, a, o: seen.append(float((a[0] * 1.0)[0, 0])))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    PureStep(model, opt, tiny, torch.tensor([0]), "fp32")(1)
    PureStep(model, opt, tiny, torch.tensor([0]), "fp32", flush_denormal=True)(1)
    assert seen[0] > 0 and seen[1] == 0.0
    assert float(tiny[0, 0] * 1.0) > 0  # restored to off afterwards


def test_pure_forward_backward_cycles_through_a_pool_of_distinct_batches():
    """With ``batch_size``, step i trains on batch i mod k of the pool: the same weights as a
    hand-written loop over those batches (and not those of one batch repeated)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 3))
    x, y = torch.randn(12, 3, 4, 4), torch.tensor([0, 1, 2] * 4)

    def trained(batches):
        m = __import__("copy").deepcopy(model)
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        for xb, yb in batches:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(m(xb), yb).backward()
            opt.step()
        return m[1].weight

    m = __import__("copy").deepcopy(model)
    n, _, _ = pure_forward_backward(m, torch.optim.SGD(m.parameters(), lr=0.1), x, y, steps=5, batch_size=4)
    assert n == 20
    pool = [(x[i:i + 4], y[i:i + 4]) for i in (0, 4, 8)]
    assert torch.allclose(m[1].weight, trained([pool[i % 3] for i in range(5)]), atol=1e-6)
    assert not torch.allclose(m[1].weight, trained([pool[0]] * 5), atol=1e-3)


def test_bench_train_times_trainer_and_pure_from_the_same_start(monkeypatch):
    """bench train's trainer measurement resets the model and optimiser to the state the pure
    reference starts from: after any number of rounds, one more trainer epoch leaves the weights
    of one epoch from the start."""
    from simaug.bench import train as bench_train

    made = {}
    real = bench_train.Trainer

    def keep(*a, **k):
        made["t"] = real(*a, **k)
        return made["t"]

    monkeypatch.setattr(bench_train, "Trainer", keep)
    data = toy_cifar(64)
    out = bench_train.bench_model("simple_cnn", data, ["fp32"], steps=2, batch_size=8, rounds=3)
    s = out["precisions"]["fp32"]
    assert len(out["measurements"]["trainer fp32"]) == len(out["measurements"]["pure fp32"]) == 3
    assert s["trainer_vs_pure"]["ci_low"] <= s["trainer_vs_pure"]["median"] <= s["trainer_vs_pure"]["ci_high"]
    t = made["t"]
    after_rounds = {k: v.clone() for k, v in t.model.state_dict().items()}
    torch.manual_seed(0)
    fresh = real(bench_train.create_model("simple_cnn"), t.config, t.train_set)
    fresh.train_epoch(t.epoch)  # the last round's epoch index: the same data order and crops
    assert all(torch.equal(after_rounds[k], v) for k, v in fresh.model.state_dict().items())


def test_bench_markdown_reads_every_number_from_the_record():
    from simaug.bench import train as bench_train

    out = bench_train.bench_model("simple_cnn", toy_cifar(32), ["fp32"], steps=2, batch_size=8, rounds=6)
    record = {"results": [out], "provenance": {
        "commit": "0123456789abcdef", "time_utc": "2026-12-03T04:54:26+00:00", "load_average_before": [0.5, 0, 0],
        "load_average_after": [1.5, 0, 0], "params": {"batch_size": 8, "steps": 2, "rounds": 6},
        "device": {"cpu_model": "Test CPU", "cpu_bf16_flags": [], "torch_threads": 1}}}
    md = bench_train.render_markdown(record)
    s = out["precisions"]["fp32"]
    r = s["trainer_vs_pure"]
    row = next(line for line in md.splitlines() if line.startswith("| simple_cnn | fp32 |"))
    assert f"{r['median']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]" in row
    assert f"{s['trainer_images_per_s']:,.0f}" in row and ("met" in row) == (r["median"] >= bench_train.TRAINER_TARGET)
    assert "`0123456789ab`" in md and "Test CPU (no bf16 instructions), 1 threads" in md
    assert f"probability {100 * r['ci_coverage']:.1f}%" in md  # 6 rounds: 96.9%


def test_bench_train_markdown_needs_its_record(capsys):
    from simaug.bench import train as bench_train

    with pytest.raises(SystemExit) as e:
        bench_train.main(["--markdown", "x.md"])
    assert e.value.code == 2 and "give --json too" in capsys.readouterr().err


def test_bench_campaign_markdown_reads_every_number_from_the_record():
    def ratio(m):
        return {"median": m, "min": m - 0.1, "max": m + 0.1, "ci_low": m - 0.05, "ci_high": m + 0.05, "ci_coverage": 0.9375}

    parts = {"optimizer steps (f+b)": 8.0, "callbacks (augment, CAM)": 1.1, "CAM pass": 1.0,
             "data path and bookkeeping": 0.5, "evaluation / 5": 0.5, "evaluation (one, full)": 2.5}
    prec = {"epoch_seconds": 10.0, "pure_seconds": 8.4, "epoch_vs_pure": ratio(0.84), "time_parts_s": parts,
            "cam_pass_vs_eval_forward": ratio(0.9)}
    record = {"results": [{"design": "02", "title": "02 CAM erasing: resnet20, 10k", "model": "resnet20",
                           "precisions": {"fp32": prec}}],
              "provenance": {"commit": "abc", "time_utc": "2026-12-03T04:48:00", "load_average_before": [2, 0, 0],
                             "load_average_after": [2, 0, 0], "params": {"rounds": 5, "eval_every": 5},
                             "device": {"cpu_model": "X", "torch_threads": 2}}}
    md = campaign.render_markdown(record)
    assert "| 02 CAM erasing (resnet20) | fp32 | 10.0 | 8.4 | 0.840 [0.790, 0.890] | f+b 80%, CAM pass 10%, data path 5%, eval 5% |" in md
    assert "misses its target (>= 0.85)" in md and "0.90x [0.85, 0.95]" in md and "93.8% (too few rounds" in md
