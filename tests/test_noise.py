"""Label noise: exact rates, the pair structure, symmetric spread, determinism."""
import math

import pytest
import torch

from simaug.data.noise import CIFAR10_CLASSES, CIFAR10_CONFUSABLE_PAIRS, add_label_noise


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def _cifar_like(n_per_class=1000):
    return torch.arange(10).repeat_interleave(n_per_class)


def test_default_pairs_are_the_cifar10_lookalikes():
    named = {frozenset(CIFAR10_CLASSES[i] for i in p) for p in CIFAR10_CONFUSABLE_PAIRS}
    assert named == {frozenset(p) for p in [("cat", "dog"), ("automobile", "truck"), ("deer", "horse"), ("airplane", "ship")]}


@pytest.mark.parametrize("rate", [0.0, 0.08, 0.2, 0.45, 1.0])
def test_pairflip_exact_rate_and_pairs(rate):
    y = _cifar_like()
    before = y.clone()
    noisy, flipped = add_label_noise(y, rate, mode="pairflip", seed=3)
    assert torch.equal(y, before)  # input untouched
    partner = {a: b for p in CIFAR10_CONFUSABLE_PAIRS for a, b in (p, p[::-1])}
    eligible = torch.tensor([c in partner for c in range(10)])[y]
    assert int(flipped.sum()) == math.floor(rate * int(eligible.sum()) + 0.5)
    assert not flipped[~eligible].any()  # bird (2) and frog (6) never change
    assert torch.equal(noisy[~flipped], y[~flipped])
    assert all(partner[int(a)] == int(b) for a, b in zip(y[flipped], noisy[flipped]))
    for c in partner:  # every paired class flipped at the rate, within one sample
        frac = int(flipped[y == c].sum())
        assert abs(frac - rate * 1000) <= 1


def test_symmetric_exact_rate_and_uniform_targets():
    y = _cifar_like()
    noisy, flipped = add_label_noise(y, 0.3, mode="symmetric", seed=1)
    assert int(flipped.sum()) == 3000
    assert torch.equal(flipped, noisy != y)  # a flipped label always changes
    for c in range(10):
        assert int(flipped[y == c].sum()) == 300
    # the new label is uniform over the 9 other classes: chi-square over the 10x9 cells
    cm = torch.zeros(10, 10)
    cm.index_put_((y[flipped], noisy[flipped]), torch.ones(3000), accumulate=True)
    off = cm[~torch.eye(10, dtype=torch.bool)]
    expected = 300 / 9
    chi2 = float(((off - expected) ** 2 / expected).sum())
    assert chi2 < 140  # 80 dof: the 0.999 quantile is ~124; a biased sampler lands far above


def test_rounding_half_up_and_largest_remainder():
    y = torch.tensor([0] * 5 + [1] * 5 + [2] * 3)
    noisy, flipped = add_label_noise(y, 0.5, mode="symmetric", num_classes=3, seed=0)
    assert int(flipped.sum()) == 7  # round(6.5) half up; 2 + 2 + 1 floors, the two .5 leftovers go to classes 0, 1
    assert [int(flipped[y == c].sum()) for c in range(3)] == [3, 3, 1]


def test_determinism_and_seed_dependence():
    y = _cifar_like(100)
    a = add_label_noise(y, 0.2, mode="pairflip", seed=7)
    b = add_label_noise(y, 0.2, mode="pairflip", seed=7)
    c = add_label_noise(y, 0.2, mode="pairflip", seed=8)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])
    state = torch.random.get_rng_state()
    add_label_noise(y, 0.2, seed=1)
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched


def test_pairflip_infers_classes_from_pairs():
    y = torch.tensor([3] * 10 + [5] * 10 + [2] * 10)  # max label 5, default pairs reach class 9
    noisy, flipped = add_label_noise(y, 0.2, mode="pairflip")
    assert int(flipped.sum()) == 4 and set(noisy[flipped].tolist()) <= {3, 5}


def test_custom_pairs_and_bad_input():
    y = torch.arange(10).repeat(20)  # Animal-10N-style 5 pairs
    pairs = [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]
    noisy, flipped = add_label_noise(y, 0.1, mode="pairflip", pairs=pairs)
    assert int(flipped.sum()) == 20 and torch.equal(noisy[flipped] // 2, y[flipped] // 2)
    with pytest.raises(ValueError, match="rate"):
        add_label_noise(y, 1.5)
    with pytest.raises(ValueError, match="mode"):
        add_label_noise(y, 0.1, mode="asym")
    with pytest.raises(ValueError, match="another pair"):
        add_label_noise(y, 0.1, mode="pairflip", pairs=[(0, 1), (1, 2)])
    with pytest.raises(ValueError, match="different class"):
        add_label_noise(y, 0.1, mode="pairflip", pairs=[(0, 10)], num_classes=10)
    with pytest.raises(ValueError, match="different class"):
        add_label_noise(y, 0.1, mode="pairflip", pairs=[(4, 4)])
    with pytest.raises(TypeError, match="integer"):
        add_label_noise(y.float(), 0.1)
    with pytest.raises(ValueError, match="num_classes"):
        add_label_noise(y, 0.1, num_classes=5)
