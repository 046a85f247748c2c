"""Out-of-distribution grid: histograms of an uncertainty score (predictive entropy, nats) on
the in-distribution test images and on each OOD set, one panel per (OOD set, model), with
the AUROC of the score in the panel's title (0.5 = chance, 1 = perfectly separated)."""
from __future__ import annotations

from typing import Dict, Sequence, Tuple

import matplotlib.pyplot as plt
import numpy as np

DPI = 150


def plot_score_grid(panels: Dict[Tuple[str, str], dict], rows: Sequence[str], cols: Sequence[str], width: float = 10.0,
                    xlabel: str = "predictive entropy (nats)", in_label: str = "test images"):
    """``panels[(row, col)] = {"edges": (B+1,), "in": (B,) counts, "out": (B,) counts, "auroc": float}``;
    rows are OOD sets, columns models. Histograms are drawn as densities (the sets differ in
    size). Returns the figure."""
    nr, nc = len(rows), len(cols)
    fig, axes = plt.subplots(nr, nc, figsize=(width, 2.3 * nr + 0.5), dpi=DPI, squeeze=False, sharex=True)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            ax = axes[i, j]
            p = panels.get((r, c))
            if p is None:
                ax.axis("off")
                continue
            edges = np.asarray(p["edges"], dtype=float)
            widths = np.diff(edges)
            for key, label, colour in (("in", in_label, "tab:blue"), ("out", r, "tab:orange")):
                counts = np.asarray(p[key], dtype=float)
                density = counts / max(counts.sum(), 1) / widths
                ax.stairs(density, edges, fill=True, alpha=0.45, color=colour, label=label)
            ax.set_title(f"{c} · {r}\nAUROC {p['auroc']:.3f}", fontsize=9)
            ax.grid(False)
            ax.tick_params(labelsize=8)
            if j == 0:
                ax.set_ylabel("density")
            if i == nr - 1:
                ax.set_xlabel(xlabel)
            ax.legend(fontsize=7, frameon=False, loc="upper left")
    fig.tight_layout()
    return fig
