"""``python -m simaug.report ledger [--results DIR] [--book FILE]`` and ``… scrub [--results DIR]``.

``ledger`` merges ``<results>/claims/*.json`` into ``<results>/claims.json`` and writes the
ledger page (default ``book/claims.md``), linking each claim to its chapter through ``_toc.yml``.
``scrub`` rewrites absolute paths in the committed notebooks' outputs/metadata and the
provenance records under ``<results>`` relative to the repository.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .ledger import render_ledger, toc_pages
from .scrub import scrub_tree
from .store import collect_claims


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simaug.report", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    led = sub.add_parser("ledger", help="collect results/claims/*.json into results/claims.json and write book/claims.md")
    led.add_argument("--results", default="results", help="results folder holding claims/ (default: results)")
    led.add_argument("--book", default="book/claims.md", help="ledger page to write (default: book/claims.md)")
    led.add_argument("--toc", default="_toc.yml", help="Jupyter Book table of contents, for the chapter links")
    scr = sub.add_parser("scrub", help="rewrite absolute paths under --results relative to the repository")
    scr.add_argument("--results", default="results")
    scr.add_argument("--repo", default=".", help="repository root (default: the current folder)")
    args = p.parse_args(argv)

    if args.command == "ledger":
        claims = collect_claims(args.results)
        toc = Path(args.toc)
        pages = toc_pages(toc) if toc.is_file() else {}
        book = Path(args.book)
        ledger_dir = book.parent.resolve().relative_to(toc.parent.resolve()).as_posix() if toc.is_file() else str(book.parent)
        book.parent.mkdir(parents=True, exist_ok=True)
        book.write_text(render_ledger(claims, pages, ledger_dir=ledger_dir) + "\n", encoding="utf-8")
        counts = {s: sum(d["status"] == s for d in claims) for s in sorted({d["status"] for d in claims})}
        print(f"{len(claims)} claims → {Path(args.results) / 'claims.json'} and {book} ({counts})")
    else:
        changed = scrub_tree(args.results, args.repo)
        for f in changed:
            print(f"scrubbed {f}")
        print(f"{len(changed)} file(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
