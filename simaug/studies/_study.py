"""What a study module provides (one module per notebook).

    NAME = "04_cifar10_cnn"     # the notebook's file stem
    VERSION = 1                 # bump when a code change alters what a run computes
    class Config(StudyConfig)   # the notebook's parameters
    def plan(config) -> list[dict]            # every training run the chapter needs
    def execute(spec, work_dir) -> RunResult  # one run; checkpoints go to work_dir

plus the tables, figures and claims the chapter computes from stored runs.
"""
from __future__ import annotations

from typing import Any, Dict, List, Protocol, Type

from ..runstore import RunResult
from ._config import StudyConfig


class Study(Protocol):
    NAME: str
    VERSION: int
    Config: Type[StudyConfig]

    def plan(self, config: StudyConfig) -> List[Dict[str, Any]]: ...

    def execute(self, spec: Dict[str, Any], work_dir) -> RunResult: ...


def base_spec(name: str, version: int, **fields: Any) -> Dict[str, Any]:
    """``{"study": name, "version": version, **fields}``: the two fields every spec carries."""
    return {"study": name, "version": version, **fields}
