"""Calibration metrics against independent computations, constructed cases and closed forms."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy.optimize import minimize_scalar  # noqa: E402
from torch import nn  # noqa: E402

from simaug.calibration import (  # noqa: E402
    assign_bins,
    bin_edges,
    brier_score,
    calibration_metrics,
    collect_logits,
    cross_fit_temperature,
    expected_calibration_error,
    fit_temperature,
    nll,
    reliability_table,
)
from simaug.plots.calibration import plot_reliability, plot_reliability_grid, table_ece  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def reference_ece(probs, labels, edges, norm="l1"):
    """Plain-Python ECE: bins (lo, hi], first bin [0, hi], empty bins skipped."""
    p = probs.double().numpy()
    conf, pred = p.max(1), p.argmax(1)
    hit = (pred == labels.numpy()).astype(float)
    edges = list(np.asarray(edges, dtype=float))
    gaps, weights = [], []
    for m in range(len(edges) - 1):
        lo, hi = edges[m], edges[m + 1]
        members = [i for i, c in enumerate(conf) if (c > lo or (m == 0 and c >= lo)) and c <= hi]
        if not members:
            continue
        gaps.append(abs(np.mean(hit[members]) - np.mean(conf[members])))
        weights.append(len(members) / len(conf))
    gaps, weights = np.array(gaps), np.array(weights)
    if norm == "l1":
        return float((weights * gaps).sum())
    if norm == "l2":
        return float(math.sqrt((weights * gaps**2).sum()))
    return float(gaps.max())


def random_probs(n=400, k=5, scale=2.0):
    logits = scale * torch.randn(n, k)
    labels = torch.distributions.Categorical(logits=logits / 1.5).sample()
    return torch.softmax(logits, 1), labels


@pytest.mark.parametrize("n_bins", [1, 5, 15])
@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
def test_ece_matches_independent_loop(n_bins, norm):
    probs, labels = random_probs()
    edges = np.linspace(0, 1, n_bins + 1)
    expected = reference_ece(probs, labels, edges, norm)
    assert expected_calibration_error(probs, labels, n_bins, norm=norm) == pytest.approx(expected, abs=1e-12)


def test_quantile_binning_matches_independent_loop_and_balances_counts():
    probs, labels = random_probs(n=600)
    conf = probs.max(1).values.double().numpy()
    edges = np.quantile(conf, np.linspace(0, 1, 11))
    edges[0], edges[-1] = 0.0, 1.0
    got = expected_calibration_error(probs, labels, 10, binning="quantile")
    assert got == pytest.approx(reference_ece(probs, labels, edges), abs=1e-6)
    counts = reliability_table(probs, labels, 10, "quantile")["count"]
    assert counts.sum() == 600 and counts.min() >= 58 and counts.max() <= 62


def test_perfectly_calibrated_is_zero():
    # 10 samples at confidence 0.8 with 8 correct, 5 at 0.6 with 3 correct (K = 2)
    conf = torch.tensor([0.8] * 10 + [0.6] * 5)
    probs = torch.stack([conf, 1 - conf], 1)
    labels = torch.tensor([0] * 8 + [1] * 2 + [0] * 3 + [1] * 2)
    for norm in ("l1", "l2", "max"):
        assert expected_calibration_error(probs, labels, 15, norm=norm) == pytest.approx(0.0, abs=1e-7)  # float32 0.8


@pytest.mark.parametrize("c", [0.9, 1.0])
def test_always_confident_and_wrong(c):
    probs = torch.tensor([[c, 1 - c]] * 20)
    labels = torch.ones(20, dtype=torch.long)
    assert expected_calibration_error(probs, labels) == pytest.approx(c)
    assert expected_calibration_error(probs, labels, norm="max") == pytest.approx(c)


def test_confidence_one_goes_to_last_bin_and_edges_to_lower_bin():
    edges = torch.linspace(0, 1, 5, dtype=torch.float64)  # 0, .25, .5, .75, 1
    conf = torch.tensor([0.0, 0.25, 0.2500001, 0.5, 0.75, 0.99, 1.0], dtype=torch.float64)
    assert assign_bins(conf, edges).tolist() == [0, 0, 1, 1, 2, 3, 3]
    # through the public API: conf exactly 1.0 counts in the last of 15 bins
    table = reliability_table(torch.tensor([[1.0, 0.0], [0.5, 0.5]]), torch.tensor([0, 1]), 15)
    assert table["count"].iloc[-1] == 1
    assert table["count"].iloc[7] == 1  # 0.5 is in (7/15, 8/15]
    assert table["count"].sum() == 2


def test_empty_bins_are_skipped_and_table_has_every_bin():
    probs = torch.tensor([[0.95, 0.05]] * 4 + [[0.55, 0.45]] * 4)
    labels = torch.tensor([0, 0, 0, 1, 0, 1, 1, 1])
    table = reliability_table(probs, labels, 15)
    assert len(table) == 15 and (table["count"] > 0).sum() == 2
    assert table.loc[table["count"] == 0, ["accuracy", "confidence", "gap"]].isna().all().all()
    # ECE weights only the two occupied bins: 0.5 * |0.75 - 0.95| + 0.5 * |0.25 - 0.55|
    assert expected_calibration_error(probs, labels, 15) == pytest.approx(0.5 * 0.2 + 0.5 * 0.3)
    full = table[table["count"] > 0]
    assert (full["count"] / 8 * full["gap"].abs()).sum() == pytest.approx(0.25)
    assert table["lo"].iloc[0] == 0.0 and table["hi"].iloc[-1] == 1.0


def test_bin_edges_and_bad_arguments():
    assert bin_edges(torch.rand(10), 4).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    probs, labels = random_probs(20)
    with pytest.raises(ValueError, match="norm"):
        expected_calibration_error(probs, labels, norm="l3")
    with pytest.raises(ValueError, match="binning"):
        expected_calibration_error(probs, labels, binning="adaptive")
    with pytest.raises(ValueError, match="softmax"):
        expected_calibration_error(torch.randn(20, 5) * 5, labels)
    with pytest.raises(TypeError, match="integer"):
        expected_calibration_error(probs, labels.float())
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error(probs, labels, n_bins=0)
    with pytest.raises(ValueError, match=r"\(S, N, K\)"):
        expected_calibration_error(probs[None], labels)


def test_nll_from_logits_and_probs_agree_with_definitions():
    logits = torch.randn(50, 4) * 3
    labels = torch.randint(0, 4, (50,))
    expected = float(F.cross_entropy(logits.double(), labels))
    assert nll(logits, labels) == pytest.approx(expected, rel=1e-10)
    probs = torch.softmax(logits.double(), 1)
    assert nll(probs, labels) == pytest.approx(expected, rel=1e-8)  # auto-detected probabilities
    by_hand = -np.mean(np.log(probs.numpy()[np.arange(50), labels.numpy()]))
    assert nll(probs, labels, kind="probs") == pytest.approx(by_hand, rel=1e-10)
    # a zero probability costs -log(1e-12) instead of inf
    assert nll(torch.tensor([[1.0, 0.0]]), torch.tensor([1])) == pytest.approx(-math.log(1e-12))


def test_brier_score_closed_form():
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    labels = torch.tensor([0, 1])
    expected = ((0.3**2 + 0.2**2 + 0.1**2) + (0.1**2 + 0.9**2 + 0.8**2)) / 2
    assert brier_score(probs, labels) == pytest.approx(expected)
    assert brier_score(torch.eye(3), torch.arange(3)) == 0.0
    assert brier_score(torch.eye(3), torch.tensor([1, 2, 0])) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="softmax"):
        brier_score(torch.randn(3, 3) * 4, torch.arange(3))


def test_temperature_scaling_recovers_overconfidence_and_keeps_accuracy():
    z = torch.randn(4000, 10) * 1.5
    labels = torch.distributions.Categorical(logits=z).sample()  # calibrated at T = 1 for z
    res = fit_temperature(3.0 * z, labels)  # logits 3x too sharp
    assert res.T == pytest.approx(3.0, rel=0.08)
    assert res.after["nll"] < res.before["nll"] - 0.1
    assert res.after["ece"] < res.before["ece"]
    assert res.after["accuracy"] == res.before["accuracy"]
    # independent optimiser on the same objective
    zz, yy = (3.0 * z).double(), labels
    ref = minimize_scalar(lambda t: float(F.cross_entropy(zz / t, yy)), bounds=(0.05, 20), method="bounded",
                          options={"xatol": 1e-8})
    assert res.T == pytest.approx(ref.x, rel=1e-4)
    assert torch.allclose(res.apply(3.0 * z), 3.0 * z / res.T)


def test_temperature_below_one_for_underconfident_logits():
    z = torch.randn(3000, 5) * 2
    labels = torch.distributions.Categorical(logits=z).sample()
    res = fit_temperature(0.5 * z, labels)
    assert res.T == pytest.approx(0.5, rel=0.1)
    assert res.after["nll"] <= res.before["nll"]


def test_calibration_metrics_keys_and_bad_input():
    z, y = torch.randn(30, 3), torch.randint(0, 3, (30,))
    m = calibration_metrics(z, y)
    assert set(m) == {"accuracy", "nll", "ece", "brier"}
    assert m["accuracy"] == pytest.approx(float((z.argmax(1) == y).float().mean()))
    with pytest.raises(ValueError):
        fit_temperature(torch.randn(30), y)
    with pytest.raises(ValueError):
        fit_temperature(z, y, max_iter=0)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Linear(8, 3))

    def forward(self, x):
        return self.body(x)


def test_collect_logits_uses_eval_mode_and_restores_it():
    net = _Net()
    net(torch.rand(16, 3, 2, 2))  # give batch norm non-trivial running statistics
    net.train()
    net.body[3].eval()  # a mixed state must come back exactly
    before = [m.training for m in net.modules()]
    images = torch.randint(0, 256, (10, 3, 2, 2), dtype=torch.uint8)
    logits = collect_logits(net, images, batch_size=3)
    assert [m.training for m in net.modules()] == before
    net.eval()
    with torch.no_grad():
        expected = net(images.float() / 255)
    assert logits.shape == (10, 3) and torch.allclose(logits, expected, atol=1e-6)
    # a transform is applied per batch on the model's device
    shifted = collect_logits(net, images, batch_size=4, transform=lambda x: x.float() / 255 - 0.5)
    with torch.no_grad():
        assert torch.allclose(shifted, net(images.float() / 255 - 0.5), atol=1e-6)
    with pytest.raises(ValueError, match="batch_size"):
        collect_logits(net, images, batch_size=0)


def test_plot_reliability_draws_bins_counts_and_reports_ece():
    probs, labels = random_probs(300)
    fig, (ax, ax_counts) = plt.subplots(2, 1)
    out = plot_reliability(ax, probs, labels, n_bins=10, title="toy", ax_counts=ax_counts)
    ece = expected_calibration_error(probs, labels, 10)
    table = reliability_table(probs, labels, 10)
    assert out is ax and ax.get_title() == "toy"
    assert [t.get_text() for t in ax.texts] == [f"ECE {100 * ece:.2f}%"]
    assert table_ece(table) == pytest.approx(ece, abs=1e-12)
    occupied = table.dropna()
    heights = sorted(p.get_height() for p in ax.patches if p.get_facecolor()[:3] == matplotlib.colors.to_rgb("tab:blue"))
    assert len(heights) == len(occupied) and np.allclose(heights, sorted(occupied["accuracy"]))
    # every non-empty bin's count is drawn and written on the count axis
    assert sorted(int(t.get_text()) for t in ax_counts.texts) == sorted(int(c) for c in occupied["count"])
    assert sum(int(t.get_text()) for t in ax_counts.texts) == 300
    plt.close(fig)
    fig = plot_reliability_grid({("before", "a"): table, ("after", "b"): table}, ["before", "after"], ["a", "b"])
    assert fig.get_figwidth() <= 10 and fig.dpi >= 150
    plt.close(fig)


def test_cross_fit_temperature_scales_each_fold_by_the_other_folds_t():
    z = 3.0 * torch.randn(600, 5)
    y = torch.distributions.Categorical(logits=z / 3.0).sample()  # calibrated at T = 3
    res = cross_fit_temperature(z, y, folds=2, seed=4)
    assert torch.bincount(res.fold).tolist() == [300, 300]
    for f, T in enumerate(res.temperatures):
        other = res.fold != f
        assert T == pytest.approx(fit_temperature(z[other].double(), y[other]).T, rel=1e-9)
        assert torch.allclose(res.scaled[res.fold == f], z[res.fold == f].double() / T)
        assert 2.0 < T < 4.5  # recovers the temperature the labels were drawn at
    assert torch.equal(cross_fit_temperature(z, y, folds=2, seed=4).fold, res.fold)  # seeded split
    assert not torch.equal(cross_fit_temperature(z, y, folds=2, seed=5).fold, res.fold)
    with pytest.raises(ValueError, match="folds"):
        cross_fit_temperature(z, y, folds=1)
    with pytest.raises(ValueError, match="folds"):
        cross_fit_temperature(z[:3], y[:3], folds=2)
