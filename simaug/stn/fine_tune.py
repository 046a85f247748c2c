"""Stage 3 of Cho, Kim & Yoon (SPEC §01): D is dropped and the classifier is fine-tuned on
G's outputs together with the originals, as a trainer callback.

``STNAugmentCallback(G)`` replaces each training batch (B images) by the batch followed by
its G-warped copies (2B images, labels repeated), the "trained together with the
originals" of the paper. G is fixed: it runs in eval mode under ``torch.no_grad`` and its
output is detached, so the trainer's optimiser never sees it. It is
``simaug.augment.AugmentCallback(G, mode=...)`` under its name before issue 13, whose
checkpoint state also holds G's weights.

Usage::

    trainer = Trainer(model, cfg, train_set, test_set, callbacks=[STNAugmentCallback(G)])
    # the same: AugmentCallback(G, start_epoch=0), without G's weights in the checkpoint
"""
from __future__ import annotations

from typing import Any, Dict

import torch.nn as nn

from simaug.augment.callback import AugmentCallback


class STNAugmentCallback(AugmentCallback):
    """Append (or substitute) G's warps of every training batch.

    Args:
        G: the trained augmenter (moved to the batch's device on first use).
        append: True (default): return (cat[x, G(x)], cat[y, y]); False: (G(x), y).

    Shape: on_batch_start x (B, C, H, W), y (B,) -> (2B, C, H, W), (2B,) (or B, B).

    Example:
        >>> import torch
        >>> from simaug.stn import STNAugmenter
        >>> cb = STNAugmentCallback(STNAugmenter(3))
        >>> x2, y2 = cb.on_batch_start(None, torch.randn(4, 3, 8, 8), torch.arange(4))
        >>> x2.shape, y2.tolist()
        (torch.Size([8, 3, 8, 8]), [0, 1, 2, 3, 0, 1, 2, 3])
    """

    def __init__(self, G: nn.Module, append: bool = True):
        if not isinstance(G, nn.Module):
            raise TypeError(f"G must be an nn.Module (the stage-2 augmenter), got {type(G)}")
        super().__init__(G, start_epoch=0, mode="append" if append else "replace")
        self.G, self.append = G, bool(append)

    def state_dict(self) -> Dict[str, Any]:
        """G's weights, so a checkpoint of stage 3 is self-contained."""
        return {"G": {k: v.detach().cpu().clone() for k, v in self.G.state_dict().items()}}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
