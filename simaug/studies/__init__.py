"""Studies: one module per notebook, holding the experiment the notebook shows.

Each declares its runs (``plan(config)`` -> JSON specs), executes one run
(``execute(spec, work_dir)``) and computes the chapter's tables, figures and claims from
stored runs. ``get_study("04_cifar10_cnn")`` returns the module.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Dict, List

from ._config import ConfigError, StudyConfig
from ._study import Study, base_spec

# notebook stem -> module (imported on first use: studies pull in their domain packages)
_MODULES: Dict[str, str] = {
    "00_confusion_rate": "confusion_rate",
    "01_stn_augment": "stn_augment",
    "02_cam_erasing": "cam_erasing",
    "03_generated_data_calibration": "generated_data",
    "04_cifar10_cnn": "cifar10_cnn",
}


def list_studies() -> List[str]:
    return sorted(_MODULES)


def get_study(name: str) -> ModuleType:
    if name not in _MODULES:
        raise KeyError(f"no study for notebook {name!r}; known: {list_studies()}")
    return importlib.import_module(f"{__name__}.{_MODULES[name]}")


__all__ = ["ConfigError", "StudyConfig", "Study", "base_spec", "get_study", "list_studies"]
