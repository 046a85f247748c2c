"""``python -m simaug``: data management and notebook runs.

    python -m simaug data list
    python -m simaug data import cifar10 ../shared/datasets/cifar10-jpeg.zip
    python -m simaug data verify cifar10
    python -m simaug data fetch cifar10            # online machines only
    python -m simaug run 04 --profile smoke -p epochs 2
    python -m simaug run all --profile published   # each notebook at the profile the book shows
    python -m simaug runs status 02 --profile report --json
    python -m simaug runs verify 04 --profile paper --sample 1
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from . import data
from .run import commands


def _data(args) -> int:
    if args.action == "list":
        for name in data.list_datasets():
            try:
                m = data.load_manifest(name)
                print(f"{name:22s} {len(m['classes']):5d} classes  {m.get('title', '')}")
            except data.DataError:
                print(f"{name:22s} (no manifest)")
        return 0
    if not args.name:
        raise ValueError(f"`data {args.action}` needs a data-set name: `python -m simaug data {args.action} NAME"
                         f"{' PATH' if args.action == 'import' else ''}`; known: {data.list_datasets()}")
    if args.name not in data.list_datasets():
        raise data.DataError(f"unknown data set {args.name!r}; known: {data.list_datasets()}")
    if args.action == "import":
        data.store._sources(args.name)  # a data set without archives: say how to point the loader at a copy
        if not args.path:
            raise ValueError(f"`data import {args.name}` needs the path of the local archive: "
                             f"`python -m simaug data import {args.name} PATH`")
        dest = data.import_archive(args.name, args.path)
        print(f"verified and imported {args.path} -> {dest}")
        data.cached_arrays(args.name, repair=True)  # decode once now (progress bar), or rebuild a damaged cache
        print(f"decoded, verified and cached {args.name} under {data.data_root() / 'cache' / args.name}")
    elif args.action == "fetch":
        print(f"downloaded and verified {data.fetch(args.name)}")
    elif args.action == "verify":
        for k, v in data.verify(args.name).items():
            print(f"{k}: {v}")
        print("ok")
    return 0


def _run(args) -> int:
    return commands.run(args) if args.command == "run" else commands.runs(args)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simaug", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("data", help="list, import, fetch or verify data sets")
    d.add_argument("action", choices=["list", "import", "fetch", "verify"],
                   help="import: verify a local archive, copy it into the data root and decode it (a damaged copy "
                        "or cache there is replaced or rebuilt); verify: re-hash the archive and the cache")
    d.add_argument("name", nargs="?", help="a data set with archive sources, e.g. cifar10 (see `data list`)")
    d.add_argument("path", nargs="?", help="import: the local archive, e.g. ../shared/datasets/cifar10-jpeg.zip")
    commands.add_parsers(sub)  # run, runs
    args = ap.parse_args(argv)
    try:
        return _data(args) if args.command == "data" else _run(args)
    except (ValueError, KeyError, RuntimeError, FloatingPointError, OSError) as e:
        # DataError, ChecksumError, ParameterError, a diverged run, an unreadable or unwritable file
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {msg}", file=sys.stderr)
        return 2
