"""Epoch bookkeeping for the confusion-rate loss (Lim & Kim, 2021, Algorithm 1).

At the end of epoch t the trainer holds ``train_cm``, the confusion matrix accumulated
from that epoch's own training forward passes (no extra pass over the data). The callback
folds it into the loss (``CR^{t+1} <- CM^t``), logs diagnostics into the epoch's history
row and keeps one CR matrix per epoch for plots such as the paper's Fig. 5 (the
coyote / wolf CR over training).
"""
from __future__ import annotations

from typing import Any, Dict, List

import torch

from simaug.losses.confusion_rate import confusion_entropy
from simaug.losses.cr_loss import CRLoss


class ConfusionRateCallback:
    """Update a :class:`CRLoss` at every epoch boundary and record CR diagnostics.

    A trainer callback (:class:`simaug.callback.Callback`'s hooks) by duck typing, so
    that ``simaug.losses`` does not import the training package (losses sit below ``train``).

    Args:
        loss: the ``CRLoss`` the trainer optimises (``Trainer(loss_fn=loss, callbacks=[...])``).

    Keys added to each epoch's history row:
        ``cr_mean_weight``: mean loss weight applied during the epoch that just ended,
        ``sum_ij CM_ij (1 + k E_ij [i != j]) / sum CM`` with ``E`` the pair entropy of the
        CR in use (exact, because the CM counts the same forward passes as the loss);
        ``cr_weighted_frac``: fraction of that epoch's training samples with weight > 1;
        ``cr_max_entropy``, ``cr_top_i``, ``cr_top_j``: the largest pair entropy (bits) of
        the new CR and its pair (``i < j``; the most often confused one if several pairs
        tie; -1, -1 if every entropy is 0), i.e. the most mutually confused classes.

    Attributes:
        history: list of CR matrices (K, K) on the CPU, one per finished epoch;
        epochs: the matching 1-based epoch numbers.

    Example:
        >>> loss = CRLoss(num_classes=10)
        >>> cb = ConfusionRateCallback(loss)  # Trainer(model, cfg, train, test, loss_fn=loss, callbacks=[cb])
    """

    def __init__(self, loss: CRLoss):
        if not isinstance(loss, CRLoss):
            raise TypeError(f"ConfusionRateCallback needs a CRLoss, got {type(loss).__name__}; build it with create_loss('cr', num_classes=K)")
        self.loss = loss
        self.history: List[torch.Tensor] = []
        self.epochs: List[int] = []

    # the hooks this callback does not use (the trainer calls every hook of every callback)
    def on_epoch_start(self, trainer, epoch: int) -> None: ...

    def on_batch_start(self, trainer, x: torch.Tensor, y: torch.Tensor) -> None:
        return None

    def on_batch_end(self, trainer, out: Dict[str, Any]) -> None: ...

    def on_fit_end(self, trainer) -> None: ...

    def on_fit_start(self, trainer) -> None:
        fn = getattr(trainer, "loss_fn", None)
        if isinstance(fn, CRLoss) and fn is not self.loss:
            raise ValueError("the trainer's loss_fn is a different CRLoss than the callback's; pass the same object to both")

    def on_epoch_end(self, trainer, epoch: int, record: Dict[str, Any]) -> None:
        cm = getattr(trainer, "train_cm", None)
        if cm is None:
            raise RuntimeError("trainer.train_cm is missing: the trainer must accumulate the training confusion matrix each epoch")
        cm = torch.as_tensor(cm).detach().cpu().to(torch.float64)  # (K, K)
        used = confusion_entropy(self.loss.cr.detach().cpu().double())  # (K, K) bits, the CR of this epoch
        off = ~torch.eye(cm.shape[0], dtype=torch.bool)
        weight = 1.0 + self.loss.k * used * off  # (K, K), weight of a sample with (true, pred) = (i, j)
        n = cm.sum().clamp_min(1.0)
        record["cr_mean_weight"] = float((cm * weight).sum() / n)
        record["cr_weighted_frac"] = float(cm[weight > 1.0].sum() / n)

        self.loss.update(cm)
        new = self.loss.cr.detach().cpu().clone()
        ent = torch.triu(confusion_entropy(new.double()), diagonal=1)  # each unordered pair once
        # ties are common (a 1-vs-1 confusion has H = 1 like 306-vs-317): among the pairs at
        # the maximum, report the one confused most often
        counts = torch.triu(cm + cm.T, diagonal=1)
        top = ent >= ent.max() - 1e-9
        flat = int(torch.where(top, counts, torch.full_like(counts, -1.0)).argmax())
        record["cr_max_entropy"] = float(ent.max())
        # (-1, -1) when no pair was confused both ways (the paper's HanDB failure mode: CR -> 0)
        record["cr_top_i"], record["cr_top_j"] = divmod(flat, ent.shape[1]) if float(ent.max()) > 0 else (-1, -1)
        self.history.append(new)
        self.epochs.append(int(epoch) + 1)

    def cr_history(self) -> torch.Tensor:
        """All recorded CR matrices stacked, (E, K, K); (0, K, K) before the first epoch."""
        k = self.loss.num_classes
        return torch.stack(self.history) if self.history else torch.zeros(0, k, k)

    def pair_history(self, i: int, j: int) -> torch.Tensor:
        """``(CR_ij, CR_ji)`` per recorded epoch, (E, 2) — e.g. coyote / wolf in Fig. 5."""
        h = self.cr_history()
        return torch.stack([h[:, i, j], h[:, j, i]], dim=1)

    def state_dict(self) -> Dict[str, Any]:
        return {"history": self.cr_history(), "epochs": list(self.epochs), "loss": self.loss.state_dict()}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.history = [m.clone() for m in state["history"]]
        self.epochs = [int(e) for e in state["epochs"]]
        self.loss.load_state_dict(state["loss"])
