"""Training curves from a trainer history (one row per epoch; several runs via a ``seed`` column)."""
from __future__ import annotations

from typing import Optional, Sequence

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator


def plot_training_curves(history: pd.DataFrame, hue: Optional[str] = None,
                         metrics: Sequence[str] = ("loss", "acc"), axes=None):
    """Train vs test loss and accuracy per epoch; a ``hue`` column (e.g. ``"seed"``) gives
    one line per run, else lines with a band are drawn over repeated epochs.

    Returns the figure.
    """
    if axes is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.4))
    else:
        fig = axes[0].figure
    axes = list(axes) if len(metrics) > 1 else [axes] if not hasattr(axes, "__len__") else list(axes)
    for ax, metric in zip(axes, metrics):
        cols = [c for c in (f"train_{metric}", f"test_{metric}") if c in history]
        long = history.melt(id_vars=["epoch"] + ([hue] if hue else []), value_vars=cols, var_name="split", value_name=metric)
        long["split"] = long["split"].str.replace(f"_{metric}", "", regex=False)
        sns.lineplot(data=long, x="epoch", y=metric, hue="split", style=hue, marker="o", ax=ax,
                     errorbar=("pi", 100) if not hue else None)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title({"loss": "cross-entropy loss", "acc": "accuracy"}.get(metric, metric))
    for ax in axes[:-1]:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.tight_layout()
    return fig
