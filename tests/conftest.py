import random

import pytest
import torch


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same global RNG state."""
    random.seed(0)
    torch.manual_seed(0)
    yield
