"""``python -m simaug.bench train|augment|campaign|precision|malloc [options]``: speed benchmarks that
print ratios against a reference measured in the same run (never timed tests), and the
bf16-vs-fp32 parity check.

``python -m simaug.bench --help`` prints this and every benchmark's options;
``python -m simaug.bench NAME --help`` one benchmark's. ``--threads N`` sets the torch CPU
threads (0 = torch's default, all cores); on a busy shared CPU ``--threads 1`` gives steadier
numbers."""
import importlib
import sys

COMMANDS = {
    "train": "trainer vs pure forward+backward, fp32 and bf16",
    "augment": "batched erasing kernels and Grad-CAM vs per-image loops",
    "campaign": "one epoch of each evidence design's most expensive arm vs pure forward+backward",
    "precision": "bf16-vs-fp32 parity of final test accuracy over paired seeds (writes results/bench/precision.json)",
    "malloc": "the trainer with glibc malloc's defaults vs with freed memory retained (child processes)",
}


def _usage() -> str:
    return ("usage: python -m simaug.bench {" + "|".join(COMMANDS) + "} [--help] [options]\n"
            + "\n".join(f"  {k:<10} {v}" for k, v in COMMANDS.items()))


def _full_help() -> int:
    """The usage, then each benchmark's own ``--help`` (exit code 0)."""
    print(__doc__.split("\n\n")[0] + "\n\n" + _usage() + "\n\n" + "\n\n".join(__doc__.split("\n\n")[1:]))
    for name in COMMANDS:
        print(f"\n--- python -m simaug.bench {name} --help ---", flush=True)
        try:
            importlib.import_module(f"simaug.bench.{name}").main(["--help"])
        except SystemExit:
            pass
        except ImportError as e:
            print(f"(not available: {e})")
        sys.stdout.flush()
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        return _full_help()
    if not argv or argv[0] not in COMMANDS:
        what = f"unknown benchmark {argv[0]!r}" if argv else "no benchmark given"
        print(f"error: {what}\n" + _usage(), file=sys.stderr)
        return 2
    run = importlib.import_module(f"simaug.bench.{argv[0]}").main
    return run(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
