"""One value per seed for each arm: the seeds as dots, the arm's mean ± SD as a bar."""
from __future__ import annotations

from typing import Optional, Sequence

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

DPI = 150


def plot_seed_points(frame: pd.DataFrame, x: str, y: str, order: Optional[Sequence[str]] = None, ax=None,
                     ylabel: Optional[str] = None, reference: Optional[float] = None, reference_label: str = "chance",
                     title: str = "", width: float = 7.0):
    """Dots: one per row of ``frame`` (a seed); black marker and bar: mean ± SD over the seeds
    of each ``x`` category. ``reference`` draws a dashed horizontal line (e.g. chance).
    Returns the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(width, 3.2), dpi=DPI)
    order = list(order) if order is not None else list(dict.fromkeys(frame[x]))
    sns.stripplot(data=frame, x=x, y=y, order=order, ax=ax, color="tab:blue", alpha=0.7, size=5, jitter=0.12, zorder=2)
    sns.pointplot(data=frame, x=x, y=y, order=order, ax=ax, color="black", errorbar="sd", linestyle="none",
                  markers="_", markersize=14, capsize=0.15, err_kws={"linewidth": 1.2}, zorder=3)
    if reference is not None:
        ax.axhline(reference, linestyle="--", color="0.5", linewidth=1, label=reference_label, zorder=1)
        ax.legend(frameon=False, fontsize=8, loc="best")
    ax.set_xlabel("")
    ax.set_ylabel(ylabel or y)
    ax.tick_params(axis="x", labelsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    ax.figure.tight_layout()
    return ax
