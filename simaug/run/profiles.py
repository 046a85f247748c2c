"""Run profiles, defined once per notebook.

``smoke`` is always the notebook's own parameters cell (the committed defaults, run by nbval
in CI, about two minutes on two CPU cores). ``report`` is the scale published in the book
when it fits this 2-core machine; ``paper`` holds the source's own settings (for a GPU).
``PUBLISHED`` names the profile whose executed notebook the book shows.
"""
from __future__ import annotations

from typing import Any, Dict

PROFILES: Dict[str, Dict[str, Dict[str, Any]]] = {
    "04_cifar10_cnn": {
        "smoke": {},
        # the tutorial's settings: full CIFAR-10, Adam, batch 32, 10 epochs (~4 min here)
        "report": {"train_subset": 0, "epochs": 10, "seeds": [0, 1, 2]},
        "paper": {"train_subset": 0, "epochs": 10, "seeds": [0, 1, 2]},
    },
}

PUBLISHED: Dict[str, str] = {"04_cifar10_cnn": "paper"}

PROFILE_NAMES = ("smoke", "report", "paper")


def profile_params(notebook: str, profile: str) -> Dict[str, Any]:
    if profile not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {PROFILE_NAMES}")
    if notebook not in PROFILES:
        raise KeyError(f"no profiles defined for notebook {notebook!r} in simaug/run/profiles.py; known: {sorted(PROFILES)}")
    if profile not in PROFILES[notebook]:
        raise KeyError(f"notebook {notebook!r} has no {profile!r} profile; it has {sorted(PROFILES[notebook])}")
    return dict(PROFILES[notebook][profile])
