"""Context managers that switch modules to inference and restore them exactly.

Stage 2 of Cho, Kim & Yoon (SPEC §01) keeps the classifier's weights ("the classifier is
not trained and keeps its weights"). Turning off ``requires_grad`` is not enough for a
network with batch norm: in train mode every forward pass still updates the running mean
and variance. ``frozen`` therefore also switches to eval mode, and restores both the
per-parameter ``requires_grad`` flags and the per-submodule ``training`` flags on exit.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch.nn as nn


@contextmanager
def eval_mode(*modules: nn.Module) -> Iterator[None]:
    """Every submodule in eval mode inside the block; each one's own flag restored after."""
    saved = [(m, m.training) for module in modules for m in module.modules()]
    for module in modules:
        module.eval()
    try:
        yield
    finally:
        for m, was_training in saved:
            m.training = was_training


@contextmanager
def no_param_grad(module: nn.Module) -> Iterator[nn.Module]:
    """``requires_grad=False`` on every parameter inside the block, each flag restored after."""
    flags = [(p, p.requires_grad) for p in module.parameters()]
    module.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


@contextmanager
def frozen(module: nn.Module) -> Iterator[nn.Module]:
    """Eval mode and ``requires_grad=False`` inside the block: gradients still flow
    *through* the module to its inputs, its weights and batch-norm buffers stay put.

    Example:
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
        >>> with frozen(net):
        ...     net.training, next(net.parameters()).requires_grad
        (False, False)
        >>> net.training, next(net.parameters()).requires_grad
        (True, True)
    """
    with eval_mode(module), no_param_grad(module):
        yield module
