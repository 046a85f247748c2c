"""Calibration: ECE, reliability tables, proper scoring rules and temperature scaling
(Guo et al., 2017, "On calibration of modern neural networks"). Reliability diagrams are
drawn by :mod:`simaug.plots.calibration`."""
from ..inference import collect_logits, preserved_mode
from .binning import assign_bins, bin_edges
from .ece import expected_calibration_error
from .reliability import reliability_table
from .scoring_rule import brier_score, nll
from .temperature import TemperatureResult, calibration_metrics, cross_fit_temperature, fit_temperature

__all__ = [
    "assign_bins",
    "bin_edges",
    "brier_score",
    "calibration_metrics",
    "collect_logits",
    "cross_fit_temperature",
    "expected_calibration_error",
    "fit_temperature",
    "nll",
    "preserved_mode",
    "reliability_table",
    "TemperatureResult",
]
