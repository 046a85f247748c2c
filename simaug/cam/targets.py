"""Target callables for Grad-CAM, shaped like pytorch-grad-cam's ``model_targets``: a
target maps the model output of one image (K,) -- or of a batch (B, K) -- to the score
whose gradient drives the CAM."""
from __future__ import annotations

import torch


class ClassifierOutputTarget:
    """The logit of class ``category`` (pytorch-grad-cam's ``ClassifierOutputTarget``).

    Shape: (K,) -> () or (B, K) -> (B,).

    Example:
        >>> ClassifierOutputTarget(1)(torch.tensor([0.5, 2.0, -1.0]))
        tensor(2.)
    """

    def __init__(self, category: int):
        self.category = int(category)

    def __call__(self, output: torch.Tensor) -> torch.Tensor:
        return output[..., self.category]

    def __repr__(self) -> str:
        return f"ClassifierOutputTarget({self.category})"


class ClassifierOutputSoftmaxTarget(ClassifierOutputTarget):
    """The softmax probability of class ``category`` instead of its logit."""

    def __call__(self, output: torch.Tensor) -> torch.Tensor:
        return torch.softmax(output, dim=-1)[..., self.category]


def select_scores(logits: torch.Tensor, targets) -> torch.Tensor:
    """Scores (B,) to differentiate: one per image.

    Args:
        logits: model output (B, K).
        targets: None (predicted class), an int tensor / list of class indices (B,),
            one callable applied to the whole batch output, or a sequence of B callables,
            one per image (pytorch-grad-cam style).
    """
    B, K = logits.shape
    if targets is None:
        return logits.gather(1, logits.argmax(1, keepdim=True)).squeeze(1)
    if callable(targets):
        scores = targets(logits)
        if scores.shape != (B,):
            raise ValueError(f"a batch target must map (B, K) outputs to (B,) scores, got {tuple(scores.shape)}")
        return scores
    if isinstance(targets, (list, tuple)) and targets and callable(targets[0]):
        if len(targets) != B:
            raise ValueError(f"got {len(targets)} target callables for a batch of {B} images")
        return torch.stack([t(logits[i]) for i, t in enumerate(targets)])  # (B,)
    idx = torch.as_tensor(targets, device=logits.device)
    if idx.is_floating_point() or idx.dtype == torch.bool:
        raise TypeError(f"class targets must be integers, got dtype {idx.dtype}")
    if idx.shape != (B,):
        raise ValueError(f"class targets must have shape ({B},), one per image, got {tuple(idx.shape)}")
    if bool(((idx < 0) | (idx >= K)).any()):
        raise ValueError(f"class targets must lie in [0, {K}), got min {int(idx.min())} max {int(idx.max())}")
    return logits.gather(1, idx.long()[:, None]).squeeze(1)
