"""``python -m simaug.bench train|augment [options]``: speed benchmarks that print ratios
against a reference measured in the same run (never timed tests)."""
import sys


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("train", "augment"):
        print("usage: python -m simaug.bench train|augment [--help]", file=sys.stderr)
        return 2
    if argv[0] == "train":
        from .train import main as run
    else:
        from .augment import main as run
    return run(argv[1:]) or 0


sys.exit(main())
