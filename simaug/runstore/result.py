"""What a finished run hands to the store."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np
import pandas as pd


@dataclass
class RunResult:
    """A run's outcome.

    Args:
        metrics: JSON-able scalars and small lists; at least ``train_acc`` and ``test_acc``
            for training runs. Compared exactly by ``runs verify``.
        history: one row per epoch (or step), written as ``history.csv``.
        arrays: small numpy arrays the chapter renders (confusion matrices, CR trajectories,
            probabilities of a few test images), written to ``artifacts.npz``.
        tables: further small data frames, each written as ``<name>.csv``.
        provenance: the executing process's record (commit, versions, device, data
            checksums, wall time), filled in by the executor.
    """

    metrics: Dict[str, Any]
    history: Optional[pd.DataFrame] = None
    arrays: Dict[str, np.ndarray] = field(default_factory=dict)
    tables: Dict[str, pd.DataFrame] = field(default_factory=dict)
    provenance: Dict[str, Any] = field(default_factory=dict)
