"""Notebook 03 helpers: real/generated splits and the four uncertainty methods on one backbone."""
import pytest
import torch

import simaug
from simaug.bayes import BayesLayer
from simaug.bayes.method import METHODS, build_classifier, log_predictive, method_probs, scaled_metrics
from simaug.data import ImageSet
from simaug.generative.mixing import concat_sets, holdout_split


def tiny_set(n=40, k=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
    return ImageSet(images, torch.arange(n) % k, [f"c{i}" for i in range(k)], {"name": "tiny"})


def test_holdout_split_is_disjoint_balanced_and_seeded():
    data = tiny_set()
    data.images[:, 0, 0, 0] = torch.arange(40, dtype=torch.uint8)  # a unique id per image
    rest, hold = holdout_split(data, 3, seed=1)
    assert len(rest) == 28 and len(hold) == 12
    assert torch.bincount(hold.labels).tolist() == [3, 3, 3, 3]
    ids = torch.cat([rest.images[:, 0, 0, 0], hold.images[:, 0, 0, 0]]).sort().values
    assert torch.equal(ids, torch.arange(40, dtype=torch.uint8))
    assert torch.equal(holdout_split(data, 3, seed=1)[1].images, hold.images)
    with pytest.raises(ValueError):
        holdout_split(data, 10)


def test_concat_sets():
    a, b = tiny_set(8), tiny_set(4, seed=1)
    mixed = concat_sets(a, b)
    assert len(mixed) == 12 and torch.equal(mixed.images[8:], b.images) and mixed.meta["sizes"] == [8, 4]
    with pytest.raises(ValueError):
        concat_sets(a, ImageSet(b.images, b.labels, ["x", "y", "z", "w"]))


@pytest.fixture(scope="module")
def trained():
    data = tiny_set()
    cfg = simaug.TrainConfig(optimizer="adam", lr=1e-3, batch_size=16, epochs=1, normalize="unit", crop_padding=0,
                             flip=False, channels_last=False, device="cpu")
    out = {}
    for kind in ("dropout", "bbb"):
        for seed in (0, 1):
            torch.manual_seed(seed)
            net, loss = build_classifier(kind, simaug.create_model("simple_cnn", num_classes=4), len(data), 0.5, 0.1)
            t = simaug.Trainer(net, cfg, data, None, loss_fn=loss)
            t.fit()
            out[kind, seed] = t
    return data, out


def test_build_classifier_kinds(trained):
    _, t = trained
    assert any(isinstance(m, torch.nn.Dropout) for m in t["dropout", 0].model.modules())
    assert any(isinstance(m, BayesLayer) for m in t["bbb", 0].model.modules())
    with pytest.raises(ValueError):
        build_classifier("gp", simaug.create_model("simple_cnn"), 10)


@pytest.mark.parametrize("method", METHODS)
def test_method_probs_shapes_and_normalisation(trained, method):
    data, t = trained
    group = [t["dropout", 0], t["dropout", 1]] if method == "ensemble" else [t["bbb" if method == "bbb" else "dropout", 0]]
    p = method_probs(method, group, data.images[:10], n_samples=3, seed=0)
    s = {"deterministic": 1, "ensemble": 2}.get(method, 3)
    assert p.shape == (s, 10, 4)
    assert torch.allclose(p.sum(-1), torch.ones(s, 10), atol=1e-5)
    if method in ("mc_dropout", "bbb"):
        assert not torch.allclose(p[0], p[1])  # samples differ
        assert torch.equal(p, method_probs(method, group, data.images[:10], n_samples=3, seed=0))  # seeded


def test_scaled_metrics_keeps_accuracy(trained):
    data, t = trained
    p = method_probs("deterministic", [t["dropout", 0]], data.images)
    m = scaled_metrics(p, data.labels, p, data.labels)
    assert m["T"] > 0 and m["nll_ts"] <= m["nll"] + 1e-9  # T fitted on the same logits cannot raise their NLL
    assert set(m) == {"T", "accuracy", "nll", "ece", "brier", "nll_ts", "ece_ts", "brier_ts"}
    assert torch.allclose(log_predictive(p).exp(), p[0], atol=1e-6)
    with pytest.raises(ValueError):
        method_probs("deterministic", [t["dropout", 0], t["dropout", 1]], data.images)
