"""Confusion-rate weighted cross-entropy (Lim & Kim, 2021, Eq. 2 and Algorithm 1).

For every misclassified training sample (``y != ŷ``, ``ŷ = argmax logits``)::

    L_i = CE_i + k * CE_i * H(CR_{y ŷ}, CR_{ŷ y})                                   (Eq. 2)

with ``CR`` computed from the *previous* epoch's training confusion matrix and ``H`` the
pair entropy in bits (:func:`~simaug.losses.confusion_rate.pair_entropy`). Correctly
classified samples keep plain cross-entropy. The weight ``1 + k H`` is a constant for the
backward pass: ``ŷ`` is an argmax and ``CR`` a buffer, so the gradient is ``w_i * dCE_i``.
Before the first :meth:`CRLoss.update` ``CR`` is all zeros and the loss equals
cross-entropy — the paper's first epoch ("from epoch 2 on").
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from simaug.losses._factory import LOSSES, check_logits
from simaug.losses.confusion_rate import _as_cm, confusion_rate, pair_entropy


@LOSSES.register("cr")
class CRLoss(nn.Module):
    """Cross-entropy re-weighted by the confusion rate of the previous epoch.

    Args:
        num_classes: K, the size of the confusion matrix.
        k: strength of the correction (the paper's sweep on VGG13 / Animal-10N: 3 is best;
            larger k overfits). ``k = 0`` is plain cross-entropy.
        reduction: ``"mean"`` (the mean of the weighted per-sample losses, not normalised
            by the weights), ``"sum"`` or ``"none"`` (per-sample, (B,)).

    Buffers (in ``state_dict``, so a resumed run keeps them): ``cr`` (K, K) float32, the
    rate used by ``forward``; ``updates``, how many epochs have been folded in.

    Shape: logits (B, K), targets (B,) int -> scalar, or (B,) for ``reduction="none"``.

    Example:
        >>> loss = CRLoss(num_classes=2, k=3.0)
        >>> logits, y = torch.tensor([[2.0, 0.0], [2.0, 0.0]]), torch.tensor([0, 1])
        >>> bool(torch.allclose(loss(logits, y), F.cross_entropy(logits, y)))  # no update yet
        True
        >>> loss.update(torch.tensor([[5, 2], [2, 5]]))  # 0->1 and 1->0 equally often: H = 1
        >>> loss.weights(logits, y)                      # sample 1 is wrong: 1 + 3 * 1
        tensor([1., 4.])
    """

    def __init__(self, num_classes: int, k: float = 3.0, reduction: str = "mean"):
        super().__init__()
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
        if not float(k) >= 0.0:  # also rejects NaN
            raise ValueError(f"k must be >= 0 (0 = plain cross-entropy; the paper uses 3), got {k!r}")
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.num_classes, self.k, self.reduction = num_classes, float(k), reduction
        self.register_buffer("cr", torch.zeros(num_classes, num_classes))
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, k={self.k}, reduction={self.reduction!r}, updates={int(self.updates)}"

    @torch.no_grad()
    def update(self, cm) -> None:
        """Replace ``CR`` by the rate of ``cm``, the confusion matrix of the epoch that just
        ended (rows = true, columns = predicted); call once per epoch boundary."""
        cm = _as_cm(cm)
        if cm.shape != (self.num_classes, self.num_classes):
            raise ValueError(f"confusion matrix is {tuple(cm.shape)}, expected ({self.num_classes}, {self.num_classes})")
        self.cr.copy_(confusion_rate(cm).to(self.cr))
        self.updates += 1

    @torch.no_grad()
    def weights(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Per-sample weights ``1 + k * H(CR[y, ŷ], CR[ŷ, y]) * [y != ŷ]`` (B,), float."""
        check_logits(logits, targets, self.num_classes)
        y = targets.long()
        pred = logits.argmax(1)  # (B,)
        cr = self.cr.to(logits.device)  # a no-op when the trainer moved the loss there
        h = pair_entropy(cr[y, pred], cr[pred, y])  # (B,) bits; 0 for correct samples (CR_ii = 0)
        wrong = (pred != y).to(h.dtype)
        return (1.0 + self.k * h * wrong).to(logits.dtype)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        w = self.weights(logits, targets)  # (B,), no gradient
        ce = F.cross_entropy(logits, targets.long(), reduction="none")  # (B,)
        loss = ce * w
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss
