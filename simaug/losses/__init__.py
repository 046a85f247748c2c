"""Losses for confusable classes: the confusion-rate (CR) weighted cross-entropy of
Lim & Kim (2021), its epoch bookkeeping callback, and the Pairwise Confusion baseline
(Dubey et al., ECCV 2018). Build them by name::

    loss = create_loss("cr", num_classes=10, k=3.0)
    trainer = Trainer(model, cfg, train, test, loss_fn=loss, callbacks=[ConfusionRateCallback(loss)])
"""
from simaug.losses._factory import LOSSES, CrossEntropy, create_loss, list_losses
from simaug.losses.confusion_rate import confusion_entropy, confusion_rate, pair_entropy
from simaug.losses.cr_callback import ConfusionRateCallback
from simaug.losses.cr_loss import CRLoss
from simaug.losses.pairwise_confusion import PairwiseConfusionLoss

__all__ = [
    "LOSSES", "CRLoss", "ConfusionRateCallback", "CrossEntropy", "PairwiseConfusionLoss",
    "confusion_entropy", "confusion_rate", "create_loss", "list_losses", "pair_entropy",
]
