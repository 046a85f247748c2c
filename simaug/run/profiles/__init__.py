"""Run profiles, defined once per notebook (one module per notebook in this folder).

Each module ``nbNN.py`` defines ``NOTEBOOK`` (the notebook's file stem), ``PROFILES``
(``{"smoke": {}, "report": {...}, "paper": {...}}``: parameter overrides, validated against
the notebook's parameters cell), ``PUBLISHED`` (the profile the book shows) and optionally
``FROZEN = True``: the published page is kept as committed (``run all --profile published``
skips it) until the runs of its current design are in the store.

``smoke`` is always the notebook's own parameters cell (the committed defaults, run by nbval
in CI, about two minutes on two CPU cores). ``report`` is the largest scale that fits about
two CPU hours on the 2-core development machine; ``paper`` holds the source's settings.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Dict

PROFILE_NAMES = ("smoke", "report", "paper")
PROFILES: Dict[str, Dict[str, Dict[str, Any]]] = {}
PUBLISHED: Dict[str, str] = {}
FROZEN: Dict[str, bool] = {}

for _mod in pkgutil.iter_modules(__path__):
    _m = importlib.import_module(f"{__name__}.{_mod.name}")
    PROFILES[_m.NOTEBOOK] = _m.PROFILES
    PUBLISHED[_m.NOTEBOOK] = _m.PUBLISHED
    FROZEN[_m.NOTEBOOK] = bool(getattr(_m, "FROZEN", False))


def profile_params(notebook: str, profile: str) -> Dict[str, Any]:
    if profile not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {PROFILE_NAMES}")
    if notebook not in PROFILES:
        raise KeyError(f"no profiles defined for notebook {notebook!r} (add simaug/run/profiles/<module>.py); known: {sorted(PROFILES)}")
    if profile not in PROFILES[notebook]:
        raise KeyError(f"notebook {notebook!r} has no {profile!r} profile; it has {sorted(PROFILES[notebook])}")
    return dict(PROFILES[notebook][profile])
