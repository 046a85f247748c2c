"""Speed benchmarks: ``python -m simaug.bench train|augment``."""
