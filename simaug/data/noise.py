"""Synthetic label noise: a CIFAR-10 stand-in for Animal-10N's human labelling errors.

Animal-10N's ~8% noisy labels come from annotators mixing up the five confusable pairs
it was built from (cat/lynx, jaguar/cheetah, wolf/coyote, chimpanzee/orangutan,
hamster/guinea pig). ``mode="pairflip"`` reproduces that structure on CIFAR-10 with its
four look-alike pairs; ``mode="symmetric"`` is the usual uniform-noise control.

Counting rule (exact, not Bernoulli): of the ``n_eligible`` samples (all samples for
``symmetric``, those whose class belongs to a pair for ``pairflip``), exactly
``round(rate * n_eligible)`` are flipped, rounding half up. That total is split over the
classes by largest remainder (each class gets ``floor(rate * n_c)``, the leftover goes to
the classes with the largest fractional parts, ties to the lower class index), so every
class is flipped at the requested rate within one sample. Inside a class the flipped
samples are uniform. A flipped label always changes: ``pairflip`` moves it to the
partner class, ``symmetric`` to one of the other K - 1 classes uniformly.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import torch

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# cat/dog, automobile/truck, deer/horse, airplane/ship (indices in CIFAR-10 order)
CIFAR10_CONFUSABLE_PAIRS: Tuple[Tuple[int, int], ...] = ((3, 5), (1, 9), (4, 7), (0, 8))
NOISE_MODES = ("symmetric", "pairflip")


def _partners(pairs: Sequence[Sequence[int]], k: int) -> torch.Tensor:
    partner = torch.full((k,), -1, dtype=torch.long)
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"each pair must hold two class indices, got {pair!r}")
        a, b = (int(c) for c in pair)
        if a == b or not (0 <= a < k and 0 <= b < k):
            raise ValueError(f"pair {pair!r} must hold two different class indices in [0, {k})")
        if partner[a] >= 0 or partner[b] >= 0:
            raise ValueError(f"pair {pair!r} reuses a class that is already in another pair; each class may have one partner")
        partner[a], partner[b] = b, a
    return partner


def _quotas(counts: torch.Tensor, rate: float) -> torch.Tensor:
    """Largest-remainder split of ``round(rate * counts.sum())`` over the classes."""
    want = rate * counts.double()  # (K,)
    base = torch.floor(want).long()
    total = math.floor(rate * int(counts.sum()) + 0.5)  # round half up
    frac = want - base
    order = sorted(range(len(counts)), key=lambda c: (-float(frac[c]), c))
    for c in order[: total - int(base.sum())]:
        base[c] += 1
    return base


def add_label_noise(
    labels,
    rate: float,
    mode: str = "symmetric",
    *,
    pairs: Sequence[Sequence[int]] = CIFAR10_CONFUSABLE_PAIRS,
    num_classes: Optional[int] = None,
    seed: int = 0,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Flip an exact fraction of the labels.

    Args:
        labels: clean labels (N,) int (not modified).
        rate: fraction of the eligible samples to flip, in [0, 1].
        mode: ``"symmetric"`` (any other class, uniformly) or ``"pairflip"`` (to the
            partner class of ``pairs``; classes in no pair are never touched).
        pairs: unordered class pairs for ``pairflip``, each class in at most one pair
            (default cat/dog, automobile/truck, deer/horse, airplane/ship).
        num_classes: K; default ``labels.max() + 1`` (for ``pairflip`` at least one more
            than the largest class in ``pairs``).
        seed: seed of the private generator (the global RNG is untouched).

    Returns:
        ``(noisy, flipped)``: noisy labels (N,) int64 and the bool mask (N,) of flipped
        samples, on the labels' device; ``noisy[~flipped] == labels[~flipped]``.

    Example:
        >>> y = torch.tensor([3] * 10 + [5] * 10 + [2] * 10)
        >>> noisy, flipped = add_label_noise(y, 0.2, mode="pairflip")
        >>> int(flipped.sum()), sorted(set(noisy[flipped].tolist()))  # 20% of 20 eligible
        (4, [3, 5])
    """
    labels = torch.as_tensor(labels)
    if labels.ndim != 1 or labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise TypeError(f"labels must be a 1-D integer tensor, got {labels.dtype} of shape {tuple(labels.shape)}")
    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"rate must be a fraction in [0, 1], got {rate!r}")
    if mode not in NOISE_MODES:
        raise ValueError(f"mode must be one of {NOISE_MODES}, got {mode!r}")
    device, y = labels.device, labels.detach().cpu().long()
    if len(y) and int(y.min()) < 0:
        raise ValueError("labels must be >= 0")
    if num_classes is not None:
        k = int(num_classes)
    else:  # the labels' range, widened to the pairs' classes for pairflip
        k = int(y.max()) + 1 if len(y) else 0
        if mode == "pairflip":
            k = max([k] + [int(c) + 1 for pair in pairs for c in pair])
    if len(y) and int(y.max()) >= k:
        raise ValueError(f"a label is {int(y.max())} but num_classes={k}")
    if mode == "symmetric" and k < 2:
        raise ValueError("symmetric noise needs at least 2 classes; pass num_classes")
    partner = _partners(pairs, k) if mode == "pairflip" else None

    g = torch.Generator().manual_seed(int(seed))
    eligible = partner[y] >= 0 if partner is not None else torch.ones_like(y, dtype=torch.bool)
    counts = torch.bincount(y[eligible], minlength=k)  # (K,)
    quota = _quotas(counts, float(rate))  # (K,)
    # rank of each sample inside its class in a random order: sort by (class, random key)
    key = torch.rand(len(y), generator=g, dtype=torch.float64)
    order = torch.argsort(key)
    order = order[torch.argsort(y[order], stable=True)]  # grouped by class, random within
    starts = torch.cumsum(torch.bincount(y, minlength=k), 0) - torch.bincount(y, minlength=k)
    rank = torch.empty_like(y)
    rank[order] = torch.arange(len(y)) - starts[y[order]]
    flipped = eligible & (rank < quota[y])

    noisy = y.clone()
    if partner is not None:
        noisy[flipped] = partner[y[flipped]]
    else:
        shift = torch.randint(1, k, (len(y),), generator=g)  # 1..K-1: never the true class
        noisy[flipped] = (y[flipped] + shift[flipped]) % k
    return noisy.to(device), flipped.to(device)
