"""Figure helpers (seaborn/matplotlib)."""
from .confusion import plot_confusion, plot_confusion_pair
from .curves import plot_training_curves
from .predictions import plot_prediction_grid
from .style import use_book_style

__all__ = ["plot_confusion", "plot_confusion_pair", "plot_training_curves", "plot_prediction_grid", "use_book_style"]
