"""``StudyConfig``: the base of every study's config, one field per notebook parameter.

A study's config mirrors its notebook's parameters cell; unknown keys are an error and
values are checked before any run starts (airbench asserts on unrecognised keys), so a bad
``-p`` override fails in the runner with the parameter's name, not inside a kernel.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields
from typing import Any, Dict, Iterable, List

DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


class ConfigError(ValueError):
    """A study parameter with a bad value; the message names the parameter."""


@dataclass
class StudyConfig:
    """Fields shared by every study; subclasses add theirs (with defaults = smoke values)."""

    seeds: List[int]
    device: str = "auto"

    @classmethod
    def from_params(cls, params: Dict[str, Any]) -> "StudyConfig":
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - names)
        if unknown:
            raise ConfigError(f"{cls.__module__}.{cls.__name__}: unknown parameter(s) {unknown}; accepted: {sorted(names)}")
        cfg = cls(**params)
        return cfg

    def __post_init__(self):
        self.check_seeds("seeds", self.seeds)
        if not isinstance(self.device, str) or not DEVICE.match(self.device):
            raise ConfigError(f"parameter device={self.device!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'")
        self.validate()

    def validate(self) -> None:
        """Subclasses check their own fields here (use the ``check_*`` helpers)."""

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    # -- checks that name the parameter --------------------------------------------------
    @staticmethod
    def check_int(name: str, value: Any, minimum: int = 0) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(f"parameter {name}={value!r}: must be an integer >= {minimum}")

    @staticmethod
    def check_float(name: str, value: Any, minimum: float = 0.0, strict: bool = False, maximum: float = math.inf) -> None:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        ok = ok and (value > minimum if strict else value >= minimum) and value <= maximum
        if not ok:
            bound = f"{'>' if strict else '>='} {minimum}" + (f" and <= {maximum}" if maximum != math.inf else "")
            raise ConfigError(f"parameter {name}={value!r}: must be a finite number {bound}")

    @staticmethod
    def check_seeds(name: str, value: Any) -> None:
        if not isinstance(value, (list, tuple)) or not value or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in value):
            raise ConfigError(f"parameter {name}={value!r}: must be a non-empty list of integers >= 0")
        if len(set(value)) != len(value):
            raise ConfigError(f"parameter {name}={value!r}: seeds repeat")

    @staticmethod
    def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
        choices = list(choices)
        if value not in choices:
            raise ConfigError(f"parameter {name}={value!r}: choose one of {choices}")
