"""Notebook runs: profiles, parameter validation, executors, papermill rendering, provenance."""
from .context import NotebookRun  # notebooks not yet moved to a study
from .executors import EXECUTORS, execute_spec, run_specs
from .params import ParameterError, read_parameters, validate
from .profiles import FROZEN, PROFILES, PUBLISHED, profile_params
from .runner import RunFailed, list_notebooks, plan, prepare, render, resolve_notebook, run_notebook, status
from .session import StudySession

__all__ = ["EXECUTORS", "execute_spec", "run_specs", "ParameterError", "read_parameters", "validate", "FROZEN",
           "PROFILES", "PUBLISHED", "profile_params", "RunFailed", "list_notebooks", "plan", "prepare", "render",
           "resolve_notebook", "run_notebook", "status", "StudySession", "NotebookRun"]
