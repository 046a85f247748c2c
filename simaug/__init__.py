"""simaug: reproducible training tricks for image classification.

Sub-packages: ``data`` (verified offline data sets), ``models`` (registry), ``train``
(trainer with callbacks), ``metrics``, ``plots``, ``run`` (papermill runner, profiles),
``augment`` (batched erasing), ``cam`` (Grad-CAM), ``losses`` (confusion-rate loss),
``stn`` (learned augmentation), ``calibration``, ``bayes``, ``shift``, ``generative``.
"""
__version__ = "0.1.0"

from .data import ImageSet, list_datasets, load
from .models import create_model, list_models
from .train import Callback, TrainConfig, Trainer

__all__ = ["ImageSet", "load", "list_datasets", "create_model", "list_models", "Trainer", "TrainConfig", "Callback"]
