"""Calibration: ECE, reliability diagrams, proper scoring rules and temperature scaling
(Guo et al., 2017, "On calibration of modern neural networks")."""
from .binning import assign_bins, bin_edges
from .ece import expected_calibration_error
from .logit_collector import collect_logits, preserved_mode
from .reliability import plot_reliability, reliability_table
from .scoring_rule import brier_score, nll
from .temperature import TemperatureResult, calibration_metrics, fit_temperature

__all__ = [
    "assign_bins",
    "bin_edges",
    "brier_score",
    "calibration_metrics",
    "collect_logits",
    "expected_calibration_error",
    "fit_temperature",
    "nll",
    "plot_reliability",
    "preserved_mode",
    "reliability_table",
    "TemperatureResult",
]
