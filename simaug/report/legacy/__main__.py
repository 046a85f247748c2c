"""``python -m simaug.report.legacy [--results DIR]``: write results/claims/<notebook>.json for the chapters still judged from
their earlier committed runs (02)."""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from . import write_all


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simaug.report.legacy", description=__doc__)
    p.add_argument("--results", default="results", help="results folder (default: results)")
    args = p.parse_args(argv)
    for chapter, path in write_all(args.results).items():
        claims = json.loads(path.read_text(encoding="utf-8"))
        counts = Counter(c["status"] for c in claims)
        print(f"{path}: {len(claims)} claims ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
