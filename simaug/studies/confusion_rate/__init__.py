"""Study of notebook 00: the confusion-rate (CR) weighted loss of Lim & Kim (2021).

Cross-entropy, CR (k as set) and Pairwise Confusion trained on noisy CIFAR-10 (the
Animal-10N stand-in) and cross-entropy vs CR on rendered Hangul (the HanDB stand-in), paired
by seed, plus a k sweep on CIFAR-10. Modules:

* :mod:`.config` — ``Config`` (the parameters cell) and ``plan`` (every run as a spec);
* :mod:`.run` — ``execute`` (one run: data, loss, trainer, what is stored);
* :mod:`.analysis` — ``Chapter(runs, config)``: tables, figure inputs and claim inputs;
* :mod:`.design` — the design's comparisons, expected spread and cost (before any run);
* :mod:`.paper` — the paper's numbers.

The gates, claims and every interval are computed in :mod:`simaug.report.chapters.confusion_rate`.

Example::

    config = Config.from_params({"seeds": [0, 1]})
    specs = plan(config)                        # JSON specs, shared runs once
    result = execute(specs[0], work_dir)        # RunResult for the store
    ch = Chapter(session.runs(), config)        # tables and figure inputs
"""
from __future__ import annotations

from . import paper
from .analysis import Chapter, cr_history, top_pairs
from .config import NAME, VERSION, Config, plan, run_spec, sweep_values
from .design import cost, cost_table
from .run import LossShareCallback, execute, glyphs, load_data, resize_set

__all__ = ["NAME", "VERSION", "Config", "plan", "execute", "run_spec", "sweep_values", "Chapter", "cr_history", "top_pairs",
           "LossShareCallback", "glyphs", "load_data", "resize_set", "cost", "cost_table", "paper"]
