"""Data: manifests, verified offline archives, cached uint8 arrays, registry by name."""
from .archive import safe_extract
from .errors import ChecksumError, DataError
from .image_set import ImageSet
from .manifest import load_manifest
from .paths import data_root
from .registry import list_datasets, load, register_dataset
from . import generated_sets  # noqa: F401,E402  (registers hangul-confusable, animal10n, handb)
from .noise import add_label_noise
from . import store
from .store import cached_arrays, fetch, import_archive, verify

__all__ = [
    "ImageSet", "load", "add_label_noise", "list_datasets", "register_dataset", "load_manifest", "data_root",
    "import_archive", "fetch", "verify", "cached_arrays", "safe_extract", "DataError", "ChecksumError",
]
