"""``ImageSet``: a whole split held in memory as uint8 tensors."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional

import torch


@dataclass
class ImageSet:
    """A split of an image data set.

    Attributes:
        images: uint8 tensor (N, C, H, W) — uint8 because it is 4x smaller and faster to move
            than float; the trainer converts per batch on the device.
        labels: int64 tensor (N,).
        classes: class names, ``classes[label]``.
        meta: provenance — manifest, source id and checksum, split, options.
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: List[str]
    meta: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise TypeError(f"ImageSet.images must be uint8 (N, C, H, W), got {self.images.dtype} {tuple(self.images.shape)}")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError(f"{self.images.shape[0]} images but labels of shape {tuple(self.labels.shape)}")
        self.labels = self.labels.long()

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def take(self, index: torch.Tensor) -> "ImageSet":
        return replace(self, images=self.images[index], labels=self.labels[index], meta=dict(self.meta))

    def subset(self, n: Optional[int], seed: int = 0, per_class: bool = True) -> "ImageSet":
        """A deterministic random subset of ``n`` images (class-balanced by default).

        ``n=None`` or ``n >= len(self)`` returns the whole set.
        """
        if n is None or n >= len(self):
            return self
        if n < 1:
            raise ValueError(f"subset size must be >= 1, got {n}")
        g = torch.Generator().manual_seed(seed)
        if per_class:
            k = self.num_classes
            idx = []
            for c in range(k):
                members = torch.nonzero(self.labels == c).flatten()
                take = n // k + (1 if c < n % k else 0)
                idx.append(members[torch.randperm(len(members), generator=g)[:take]])
            index = torch.cat(idx).sort().values
        else:
            index = torch.randperm(len(self), generator=g)[:n].sort().values
        out = self.take(index)
        out.meta["subset"] = {"n": int(len(index)), "seed": seed, "per_class": per_class}
        return out
