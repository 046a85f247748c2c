"""weights_digest: the SHA-256 of a model's weights, independent of memory format."""
import hashlib

import torch

from simaug.models import create_model
from simaug.train.checkpoint import weights_digest


def test_digest_ignores_memory_format_and_sees_every_value():
    torch.manual_seed(0)
    m = create_model("resnet20", 10, 3)
    sd = m.state_dict()
    d = weights_digest(sd)
    assert d == weights_digest({k: v.contiguous(memory_format=torch.channels_last) if v.ndim == 4 else v for k, v in sd.items()})
    w = dict(sd)
    k = next(n for n, v in sd.items() if v.ndim == 4)
    w[k] = sd[k].clone()
    w[k].view(-1)[7] = torch.nextafter(w[k].view(-1)[7], torch.tensor(1e9))  # one ulp in one weight
    assert weights_digest(w) != d


def test_digest_matches_an_independent_hash():
    t = torch.arange(6, dtype=torch.float32).view(2, 3)
    ref = hashlib.sha256(b"a|torch.float32|(2, 3)|" + t.numpy().tobytes()).hexdigest()
    assert weights_digest({"a": t}) == ref
    assert weights_digest({"a": t.t().contiguous().t()}) == ref  # a non-contiguous view of the same values
