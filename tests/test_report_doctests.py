"""The docstring examples of the report layer run and hold."""
import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["compare", "resolution", "format", "gates", "claims", "judge", "store", "ledger", "scrub"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(f"simaug.report.{module}"))
    assert result.failed == 0 and result.attempted > 0
