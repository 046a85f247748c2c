"""One figure style for the book (seaborn's whitegrid, readable at page width)."""
from __future__ import annotations

import matplotlib
import seaborn as sns


def use_book_style() -> None:
    sns.set_theme(context="notebook", style="whitegrid", font_scale=0.9)
    # 150 dpi: sharp at the book's column width (the inline backend renders at figure.dpi)
    matplotlib.rcParams.update({"figure.dpi": 150, "savefig.dpi": 150, "savefig.bbox": "tight",
                                "axes.titleweight": "bold", "figure.autolayout": False})
