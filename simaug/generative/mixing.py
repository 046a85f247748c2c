"""Real, generated and mixed training sets with their held-out splits."""
from __future__ import annotations

from dataclasses import replace
from typing import Tuple

import torch

from ..data.image_set import ImageSet


def holdout_split(data: ImageSet, n_holdout: int, seed: int = 0) -> Tuple[ImageSet, ImageSet]:
    """``(rest, holdout)``: ``n_holdout`` images per class set aside (disjoint, seeded)."""
    g = torch.Generator().manual_seed(seed)
    hold = []
    for c in range(data.num_classes):
        members = torch.nonzero(data.labels == c).flatten()
        if len(members) <= n_holdout:
            raise ValueError(f"class {data.classes[c]!r} has {len(members)} images, cannot hold out {n_holdout}")
        hold.append(members[torch.randperm(len(members), generator=g)[:n_holdout]])
    mask = torch.zeros(len(data), dtype=torch.bool)
    mask[torch.cat(hold)] = True
    return data.take(torch.nonzero(~mask).flatten()), data.take(torch.nonzero(mask).flatten())


def concat_sets(a: ImageSet, b: ImageSet, name: str = "mixed") -> ImageSet:
    """``a`` followed by ``b`` (same classes); ``meta`` records both parts."""
    if a.classes != b.classes or a.images.shape[1:] != b.images.shape[1:]:
        raise ValueError("image sets must share classes and image shape to be concatenated")
    return replace(a, images=torch.cat([a.images, b.images]), labels=torch.cat([a.labels, b.labels]),
                   meta={"name": name, "parts": [a.meta.get("name"), b.meta.get("name")], "sizes": [len(a), len(b)]})
