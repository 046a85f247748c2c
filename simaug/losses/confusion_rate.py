"""Confusion rate and its pair entropy (Lim & Kim, 2021, "Confusion-Rate based loss for
similar-image classification", Eq. 1 and the entropy term of Eq. 2).

From a confusion matrix ``CM`` (rows = true class, columns = predicted class)::

    CR_ij = CM_ij / (CM_ij + CM_ji)   for i != j,     CR_ii = 0,     0 / 0 := 0      (Eq. 1)

so ``CR_ij + CR_ji = 1`` for every pair the model confused at least once. The loss weight
uses the binary Shannon entropy of the pair, in bits, which is 1 when the two classes
are mistaken for each other equally often (``CR_ij = CR_ji = 0.5``) and 0 when the
confusion only goes one way or never happens.
"""
from __future__ import annotations

import torch


def _as_cm(cm) -> torch.Tensor:
    cm = torch.as_tensor(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"a confusion matrix must be square (K, K), got shape {tuple(cm.shape)}")
    if cm.dtype == torch.bool or cm.is_complex():
        raise TypeError(f"a confusion matrix holds counts, got dtype {cm.dtype}")
    if cm.is_floating_point() and not bool(torch.isfinite(cm).all()):
        raise ValueError("the confusion matrix contains NaN or inf; it must hold finite counts")
    if bool((cm < 0).any()):
        raise ValueError("the confusion matrix has negative entries; it must hold counts (rows = true, columns = predicted)")
    return cm


def confusion_rate(cm) -> torch.Tensor:
    """Confusion rate matrix ``CR`` of Eq. (1).

    Args:
        cm: confusion matrix (K, K) of counts, ``cm[i, j]`` = samples of true class ``i``
            predicted as ``j`` (tensor, array or nested list).

    Returns:
        CR (K, K), float32 for integer counts (else the input's float dtype), on the input's
        device; 0 on the diagonal and wherever ``cm[i, j] + cm[j, i] == 0``.

    Example (the paper's Fig. 4, chimpanzee / orangutan):
        >>> cr = confusion_rate(torch.tensor([[4146, 306], [317, 3976]]))
        >>> [round(v, 4) for v in cr.flatten().tolist()]
        [0.0, 0.4912, 0.5088, 0.0]
    """
    cm = _as_cm(cm)
    dtype = cm.dtype if cm.is_floating_point() else torch.float32
    c = cm.to(torch.float64)  # exact for counts up to 2**53
    pair = c + c.T  # (K, K), symmetric
    cr = torch.where(pair > 0, c / pair.clamp_min(1e-300), torch.zeros_like(c))
    cr.fill_diagonal_(0.0)
    return cr.to(dtype)


def pair_entropy(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Binary entropy in bits of a confusion pair ``(p, q) = (CR_ij, CR_ji)``.

    The pair is first normalised to ``p / (p + q)`` (a no-op for rates from
    :func:`confusion_rate`, where ``p + q = 1`` whenever the pair has counts), then
    ``H = -a log2 a - (1 - a) log2 (1 - a)`` with ``0 log 0 = 0``. A pair with ``p + q = 0``
    (never confused) has entropy 0, not NaN.

    Shape: p, q any matching shape -> the same shape, float.

    Example:
        >>> pair_entropy(torch.tensor([0.5, 1.0, 0.0]), torch.tensor([0.5, 0.0, 0.0]))
        tensor([1., 0., 0.])
    """
    p, q = torch.as_tensor(p), torch.as_tensor(q)
    if not p.is_floating_point():
        p = p.float()
    q = q.to(p.dtype)
    s = p + q
    a = torch.where(s > 0, p / torch.where(s > 0, s, torch.ones_like(s)), torch.zeros_like(s))
    b = 1.0 - a

    def plogp(x):  # x log2 x with 0 log 0 = 0
        return torch.where(x > 0, x * torch.log2(torch.where(x > 0, x, torch.ones_like(x))), torch.zeros_like(x))

    h = (-(plogp(a) + plogp(b))).clamp_min(0.0) + 0.0  # + 0.0 turns -0.0 into 0.0
    return torch.where(s > 0, h, torch.zeros_like(h))


def confusion_entropy(cr: torch.Tensor) -> torch.Tensor:
    """Pair-entropy matrix ``E_ij = pair_entropy(CR_ij, CR_ji)`` (symmetric, 0 diagonal).

    Shape: (K, K) -> (K, K).

    Example:
        >>> confusion_entropy(confusion_rate(torch.tensor([[5, 2], [2, 5]])))
        tensor([[0., 1.],
                [1., 0.]])
    """
    cr = torch.as_tensor(cr)
    if cr.ndim != 2 or cr.shape[0] != cr.shape[1]:
        raise ValueError(f"CR must be square (K, K), got shape {tuple(cr.shape)}")
    return pair_entropy(cr, cr.T)
