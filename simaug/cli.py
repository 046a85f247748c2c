"""``python -m simaug``: data management and notebook runs.

    python -m simaug data list
    python -m simaug data import cifar10 ../shared/datasets/cifar10-jpeg.zip
    python -m simaug data verify cifar10
    python -m simaug data fetch cifar10            # online machines only
    python -m simaug run 04 --profile smoke -p epochs 2
    python -m simaug run all --profile published   # each notebook at the profile the book shows
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _data(args) -> int:
    from . import data

    if args.action == "list":
        for name in data.list_datasets():
            try:
                m = data.load_manifest(name)
                print(f"{name:22s} {len(m['classes']):5d} classes  {m.get('title', '')}")
            except data.DataError:
                print(f"{name:22s} (no manifest)")
        return 0
    if not args.name:
        raise SystemExit(f"`data {args.action}` needs a data-set name; known: {data.list_datasets()}")
    if args.name not in data.list_datasets():
        raise data.DataError(f"unknown data set {args.name!r}; known: {data.list_datasets()}")
    if args.action == "import":
        if not args.path:
            raise SystemExit("`data import NAME PATH`: give the path of the local archive")
        dest = data.import_archive(args.name, args.path)
        print(f"verified and imported {args.path} -> {dest}")
        data.cached_arrays(args.name)  # decode once now, with a progress bar
        print(f"decoded and cached {args.name} under {data.data_root() / 'cache' / args.name}")
    elif args.action == "fetch":
        print(f"downloaded and verified {data.fetch(args.name)}")
    elif args.action == "verify":
        for k, v in data.verify(args.name).items():
            print(f"{k}: {v}")
        print("ok")
    return 0


def _run(args) -> int:
    from .run import PUBLISHED, list_notebooks, resolve_notebook, run_notebook
    from .run.params import parse_value, read_parameters, validate

    if args.threads:
        import os

        os.environ["SIMAUG_THREADS"] = str(args.threads)
    names = list_notebooks() if args.notebook == "all" else [resolve_notebook(args.notebook).stem]
    for name in names:
        nb = resolve_notebook(name)
        defaults = read_parameters(nb)
        overrides = {}
        for key, text in args.param or []:
            if key not in defaults:
                validate(nb, {key: None}, defaults)  # raises with the accepted list
            overrides[key] = parse_value(text, defaults[key])
        profile = PUBLISHED.get(name, "report") if args.profile == "published" else args.profile
        print(f"[simaug] running {name} at profile {profile} {overrides or ''}", flush=True)
        out = run_notebook(nb, profile, overrides)
        print(f"[simaug] wrote {out}", flush=True)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simaug", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("data", help="list, import, fetch or verify data sets")
    d.add_argument("action", choices=["list", "import", "fetch", "verify"])
    d.add_argument("name", nargs="?")
    d.add_argument("path", nargs="?")
    r = sub.add_parser("run", help="execute notebooks with papermill at a profile")
    r.add_argument("notebook", help="'all', a number like 04, or a notebook name")
    r.add_argument("--profile", default="smoke", choices=["smoke", "report", "paper", "published"])
    r.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"))
    r.add_argument("--threads", type=int, help="torch threads inside the notebook (default: torch's choice)")
    args = ap.parse_args(argv)
    try:
        return _data(args) if args.command == "data" else _run(args)
    except (ValueError, KeyError, RuntimeError) as e:  # DataError, ParameterError, ChecksumError
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {msg}", file=sys.stderr)
        return 2
