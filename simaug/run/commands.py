"""The ``run`` and ``runs`` sub-commands of ``python -m simaug``.

    python -m simaug run NB --profile P [--executor local|ray] [--jobs N] [--address ADDR]
                         [--results DIR] [-p KEY VALUE] [--threads N] [--no-render]
    python -m simaug runs status NB --profile P [--results DIR] [--json]
    python -m simaug runs verify NB --profile P --sample K [--results DIR]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, List

from ..data.paths import REPO_ROOT
from .params import parse_value, read_parameters, validate
from .profiles import FROZEN, PROFILE_NAMES, PUBLISHED
from .runner import RESULTS, RunFailed, describe_progress, list_notebooks, prepare, resolve_notebook, run_notebook, status
from .verify import verify

PROFILE_CHOICES = list(PROFILE_NAMES) + ["published"]


def add_parsers(sub) -> None:
    r = sub.add_parser("run", help="plan a notebook's runs, execute the missing ones, render it from the store")
    r.add_argument("notebook", help="'all', a number like 04, or a notebook name")
    _common(r)
    r.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"), help="override one parameter")
    r.add_argument("--executor", default="local", help="local (in this process, default) or ray")
    r.add_argument("--jobs", type=int, default=1, help="runs at a time under ray (default 1)")
    r.add_argument("--address", default=None, help="an existing Ray cluster: 'auto' or 'ray://host:10001' (default: start Ray locally)")
    r.add_argument("--threads", type=int, default=None, help="torch threads per run and in the notebook (>= 1; default: torch's choice)")
    r.add_argument("--no-render", action="store_true",
                   help="execute and store the missing runs, then stop: the page is left as it is (a campaign in chunks, "
                        "e.g. a few seeds at a time with -p seeds ...)")
    s = sub.add_parser("runs", help="the run store of a notebook: status, verify")
    s.add_argument("action", choices=["status", "verify"])
    s.add_argument("notebook", help="a number like 04, or a notebook name")
    _common(s)
    s.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"), help="override one parameter")
    s.add_argument("--json", action="store_true", help="status as JSON: {planned, stored, missing, cpu_hours}")
    s.add_argument("--sample", type=int, default=1, help="verify: how many stored runs to re-execute (cheapest first)")


def _common(p) -> None:
    p.add_argument("--profile", default="smoke", choices=PROFILE_CHOICES)
    p.add_argument("--results", type=Path, default=RESULTS, help="results folder (default: the repository's results/)")


def _overrides(nb: Path, pairs) -> Dict[str, Any]:
    defaults = read_parameters(nb)
    out: Dict[str, Any] = {}
    for key, text in pairs or []:
        if key not in defaults:
            validate(nb, {key: None}, defaults)  # raises naming the accepted parameters
        out[key] = parse_value(text, defaults[key])
    return out


def run(args) -> int:
    names = list_notebooks() if args.notebook == "all" else [resolve_notebook(args.notebook).stem]
    jobs: List[tuple] = []
    for name in names:  # validate every notebook's parameters before anything runs
        nb = resolve_notebook(name)
        profile = PUBLISHED.get(name, "report") if args.profile == "published" else args.profile
        if args.profile == "published" and FROZEN.get(name) and args.notebook == "all":
            print(f"[simaug] {name}: keeping the committed {profile} page (its evidence design is not in the store yet)", flush=True)
            continue
        overrides = _overrides(nb, args.param)
        prepare(nb, profile, overrides)
        jobs.append((nb, profile, overrides))
    for nb, profile, overrides in jobs:
        print(f"[simaug] {nb.stem} at profile {profile} {overrides or ''}", flush=True)
        try:
            out = run_notebook(nb, profile, overrides, results=args.results, executor=args.executor, jobs=args.jobs,
                               address=args.address, threads=args.threads, log=lambda m: print(m, flush=True),
                               render_page=not args.no_render)
        except RunFailed as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"[simaug] wrote {_show(out)}" if out is not None else f"[simaug] {nb.stem}: runs stored, page not rendered (--no-render)",
              flush=True)
    return 0


def runs(args) -> int:
    nb = resolve_notebook(args.notebook)
    profile = PUBLISHED.get(nb.stem, "report") if args.profile == "published" else args.profile
    prep = prepare(nb, profile, _overrides(nb, args.param))
    if args.action == "status":
        st = status(prep, args.results)
        print(json.dumps(st) if args.json else f"{nb.stem} at {profile}: {st['planned']} planned, {st['stored']} stored, {st['missing']} missing"
              f" (the stored runs took {st['cpu_hours']:.2f} CPU-hours: wall time x threads, every sitting of a resumed run)")
        if st["in_progress"] and not args.json:
            print(f"in progress ({len(st['in_progress'])} of the missing; executing again resumes them):")
            for entry in st["in_progress"]:
                print(f"  {describe_progress(entry)}")
        return 0
    return verify(prep, args.results, sample=args.sample, log=lambda m: print(m, flush=True))


def _show(p: Path) -> str:
    p = p.resolve()
    return str(p.relative_to(REPO_ROOT)) if p.is_relative_to(REPO_ROOT) else str(p)
