"""Metrics: confusion matrices and per-class accuracy."""
from .confusion import accuracy, confusion_matrix, per_class_accuracy

__all__ = ["confusion_matrix", "per_class_accuracy", "accuracy"]
