"""simaug.report: the one place where conclusions are computed.

* :func:`compare` — difference of two sets of runs with its t interval (paired by seed, or Welch);
* :func:`resolution` — the smallest difference a design detects (80% power, noncentral t);
  :func:`prediction_interval` — where one new run should fall;
* :class:`Gate` — the checks without which a comparison means nothing;
* :class:`Claim` and :func:`judge_effect` / :func:`judge_level` / :func:`judge_check` — the four
  statuses (reproduced, contradicted, below_resolution, uninformative) with one-sentence reasons;
* :func:`write_claims` / :func:`collect_claims` — per-chapter claim files and ``results/claims.json``;
* :func:`render_ledger` — the ledger page ``book/claims.md`` (``python -m simaug.report ledger``);
* :func:`scrub_paths` — absolute paths of the machine → repository-relative ones;
* ``mean_std``, ``fmt_mean_std``, ``summarize``, ``welch_t``, ``difference_verdict`` — table helpers
  and the old verdict wording, kept for the notebooks that still import them.
"""
from .claims import STATUSES, Claim
from .compare import Comparison, compare
from .format import fmt_interval, fmt_num
from .frame import claims_frame, gates_frame
from .gates import Gate
from .judge import judge_check, judge_effect, judge_level
from .ledger import render_ledger, slugify, toc_pages
from .resolution import power, prediction_interval, resolution
from .scrub import scrub_json_file, scrub_notebook, scrub_paths, scrub_tree
from .store import collect_claims, read_claims, write_claims
from .summary import difference_verdict, fmt_mean_std, mean_std, summarize, welch_t

__all__ = [
    "compare", "Comparison", "resolution", "power", "prediction_interval", "Gate", "Claim", "STATUSES",
    "judge_effect", "judge_level", "judge_check", "write_claims", "read_claims", "collect_claims",
    "render_ledger", "toc_pages", "slugify", "scrub_paths", "scrub_notebook", "scrub_json_file", "scrub_tree",
    "fmt_num", "fmt_interval", "claims_frame", "gates_frame", "mean_std", "fmt_mean_std", "summarize", "welch_t", "difference_verdict",
]
