"""Notebook runs: profiles, parameter validation, papermill execution, provenance."""
from .context import NotebookRun
from .params import ParameterError, read_parameters, validate
from .profiles import PROFILES, PUBLISHED, profile_params
from .runner import list_notebooks, plan, resolve_notebook, run_notebook

__all__ = ["NotebookRun", "ParameterError", "read_parameters", "validate", "PROFILES", "PUBLISHED",
           "profile_params", "list_notebooks", "plan", "resolve_notebook", "run_notebook"]
