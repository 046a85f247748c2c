import random

import pytest
import torch

# Unit tests use tiny tensors: one thread is as fast and keeps results independent of the
# machine's core count (and of other processes sharing it).
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same global RNG state."""
    random.seed(0)
    torch.manual_seed(0)
    yield
