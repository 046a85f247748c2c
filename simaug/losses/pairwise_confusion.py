"""Pairwise Confusion (Dubey, Gupta, Guo, Raskar, Farrell & Naik, ECCV 2018, "Pairwise
Confusion for Fine-Grained Visual Classification") — the baseline the CR paper cites as [7].

PC adds to cross-entropy the Euclidean distance between the softmax outputs of pairs of
training samples with *different* labels, pulling their predictions together so the
network does not become over-confident on fine-grained differences::

    L = CE + λ · mean_{(i, j) in pairs, y_i != y_j} || p_i - p_j ||_2,   p = softmax(logits)

Pairs (documented choice, no even batch needed):

* ``pairing="all"`` (default): every unordered pair ``i < j`` of the batch with different
  labels — the lowest-variance estimate; costs B(B-1)/2 · K memory, fine for
  B = 512, K <= a few hundred;
* ``pairing="halves"``: sample ``i`` with sample ``i + B // 2`` (the authors' released
  code splits the batch into two halves); an odd batch leaves its last sample unpaired.

The authors' code takes the plain L2 norm (``squared=False``, default); ``squared=True``
uses the squared distance. The term is averaged over the valid pairs (0 if a batch has
none); the authors' code divides the sum by the batch size instead, which only rescales λ.
Gradients flow through both members of a pair.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from simaug.losses._factory import LOSSES, check_logits

PAIRINGS = ("all", "halves")


@LOSSES.register("pairwise_confusion")
class PairwiseConfusionLoss(nn.Module):
    """Cross-entropy plus λ times the mean Euclidean confusion of different-label pairs.

    Args:
        lam: λ, weight of the confusion term (>= 0; 0 is plain cross-entropy).
        num_classes: optional, only checks the logits' width.
        pairing: ``"all"`` or ``"halves"`` (see the module docstring).
        squared: use ``||p_i - p_j||^2`` instead of ``||p_i - p_j||``.

    Shape: logits (B, K), targets (B,) int -> scalar. ``last_confusion`` keeps the
    detached confusion term of the last call for logging.

    Example (two samples, labels differ, outputs (1, 0) and (0, 1) up to softmax):
        >>> pc = PairwiseConfusionLoss(lam=1.0)
        >>> logits, y = torch.tensor([[50.0, 0.0], [0.0, 50.0]]), torch.tensor([0, 1])
        >>> round(float(pc(logits, y)), 4)  # CE ~ 0, distance sqrt(2)
        1.4142
    """

    def __init__(self, lam: float, num_classes: Optional[int] = None, pairing: str = "all", squared: bool = False):
        super().__init__()
        if not float(lam) >= 0.0:
            raise ValueError(f"lam must be >= 0, got {lam!r}")
        if pairing not in PAIRINGS:
            raise ValueError(f"pairing must be one of {PAIRINGS}, got {pairing!r}")
        self.lam, self.num_classes, self.pairing, self.squared = float(lam), num_classes, pairing, bool(squared)
        self.last_confusion = torch.zeros(())

    def extra_repr(self) -> str:
        return f"lam={self.lam}, pairing={self.pairing!r}, squared={self.squared}"

    def pairs(self, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Index tensors ``(i, j)`` (P,) of the pairs used, already restricted to ``y_i != y_j``."""
        b = targets.shape[0]
        if self.pairing == "all":
            i, j = torch.triu_indices(b, b, offset=1, device=targets.device)  # (2, B(B-1)/2)
        else:
            i = torch.arange(b // 2, device=targets.device)
            j = i + b // 2
        keep = targets[i] != targets[j]
        return i[keep], j[keep]

    def confusion(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The confusion term alone: mean distance over the valid pairs, scalar (0 if none)."""
        check_logits(logits, targets, self.num_classes)
        p = F.softmax(logits, dim=1)  # (B, K)
        i, j = self.pairs(targets)
        if i.numel() == 0:
            return p.sum() * 0.0  # keeps the graph and the dtype
        diff = p[i] - p[j]  # (P, K)
        d = (diff * diff).sum(1) if self.squared else torch.linalg.vector_norm(diff, dim=1)  # (P,)
        return d.mean()

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        conf = self.confusion(logits, targets)
        self.last_confusion = conf.detach()
        return F.cross_entropy(logits, targets.long()) + self.lam * conf
