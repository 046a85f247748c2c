"""Class-conditional generators: factory, a few training steps, exact resume, sampling and
the exported image-folder data set with its provenance manifest."""
import hashlib

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from simaug.data import ImageSet
from simaug.data.checksum import tensor_digest
from simaug.generative import (
    concat_sets,
    create_generator,
    holdout_split,
    list_generators,
    load_generator,
    sample,
    save_generator,
    save_image_dataset,
    sha256_tensor,
    train_generator,
    weights_digest,
)

TINY = {"cdcgan": dict(width=4, z_dim=8), "cvae": dict(width=4, z_dim=4)}
LR = {"cdcgan": 2e-4, "cvae": 1e-3}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def toy_data(n=16):
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g), torch.arange(n) % 10


def test_registry():
    assert list_generators() == ["cdcgan", "cvae"]
    with pytest.raises(KeyError, match="cdcgan"):
        create_generator("cdcgn")


@pytest.mark.parametrize("name", ["cdcgan", "cvae"])
def test_sample_shape_dtype_seed_and_mode(name):
    model = create_generator(name, num_classes=10, **TINY[name])
    model.train()
    labels = torch.tensor([0, 3, 3, 9, 1])
    a = sample(model, labels, seed=7, batch_size=2)
    assert a.shape == (5, 3, 32, 32) and a.dtype == torch.uint8
    assert torch.equal(a, sample(model, labels, seed=7))  # batch size does not change samples
    assert not torch.equal(a, sample(model, labels, seed=8))
    assert model.training  # restored
    assert sample(model, torch.tensor([], dtype=torch.long)).shape == (0, 3, 32, 32)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        sample(model, torch.tensor([10]))
    with pytest.raises(ValueError, match="integer"):
        sample(model, torch.tensor([0.5]))


def test_generator_output_depends_on_the_class():
    model = create_generator("cdcgan", **TINY["cdcgan"]).eval()
    with torch.no_grad():
        for p in model.generator.parameters():
            p.normal_(0, 0.5)  # class embeddings start at zero; make them non-trivial
        z = torch.randn(1, 8).expand(2, 8)
        x = model.generator(z, torch.tensor([0, 1]))
        score = model.discriminator(x[:1].expand(2, -1, -1, -1), torch.tensor([0, 1]))
    assert not torch.allclose(x[0], x[1]) and x.abs().max() <= 1
    assert score.shape == (2,)


@pytest.mark.parametrize("name", ["cdcgan", "cvae"])
def test_few_training_steps_change_weights_and_log_history(name):
    images, labels = toy_data()
    model = create_generator(name, **TINY[name])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    seen = []
    history = train_generator(model, images, labels, epochs=2, batch_size=6, lr=LR[name], seed=0,
                              callback=lambda m, rec: seen.append(rec["epoch"]))
    assert seen == [1, 2] and history["epoch"].tolist() == [1, 2]
    assert (history["steps"] == 2).all()  # 16 // 6, ragged batch dropped
    losses = history.drop(columns=["epoch", "steps", "seconds"])
    assert len(losses.columns) >= 2 and np.isfinite(losses.values).all()
    changed = [k for k, v in model.state_dict().items() if v.dtype.is_floating_point and not torch.equal(v, before[k])]
    assert len(changed) > 5


def test_resume_from_checkpoint_equals_uninterrupted_run(tmp_path):
    images, labels = toy_data()
    straight = create_generator("cdcgan", **TINY["cdcgan"])
    h_straight = train_generator(straight, images, labels, epochs=3, batch_size=8, seed=3)

    ckpt = tmp_path / "gan.pt"
    torch.manual_seed(0)  # same initial weights as `straight`
    first = create_generator("cdcgan", **TINY["cdcgan"])
    torch.manual_seed(123)  # the caller's RNG state must not matter: training reseeds
    train_generator(first, images, labels, epochs=1, batch_size=8, seed=3, checkpoint_path=ckpt)
    torch.manual_seed(456)  # nor on resume: the checkpoint restores the RNG state
    resumed = create_generator("cdcgan", **TINY["cdcgan"])  # fresh object, state from the file
    h_resumed = train_generator(resumed, images, labels, epochs=3, batch_size=8, seed=3, checkpoint_path=ckpt)

    assert h_resumed["epoch"].tolist() == [1, 2, 3]
    for k, v in straight.state_dict().items():
        assert torch.equal(v, resumed.state_dict()[k]), k
    assert np.allclose(h_straight["g_loss"], h_resumed["g_loss"])
    # the checkpoint alone rebuilds the model
    loaded = load_generator(ckpt)
    assert torch.equal(sample(loaded, torch.arange(4), seed=1), sample(resumed, torch.arange(4), seed=1))
    # a finished run does nothing more
    again = train_generator(resumed, images, labels, epochs=3, batch_size=8, seed=3, checkpoint_path=ckpt)
    assert again["epoch"].tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="same seed"):
        train_generator(create_generator("cdcgan", **TINY["cdcgan"]), images, labels, 4, 8, seed=4, checkpoint_path=ckpt)
    with pytest.raises(ValueError, match="holds a cdcgan"):
        train_generator(create_generator("cdcgan", width=5, z_dim=8), images, labels, 4, 8, seed=3, checkpoint_path=ckpt)


def test_train_generator_rejects_bad_data():
    model = create_generator("cvae", **TINY["cvae"])
    images, labels = toy_data()
    with pytest.raises(ValueError, match="uint8"):
        train_generator(model, images.float(), labels, 1, batch_size=4)
    with pytest.raises(ValueError, match="labels"):
        train_generator(model, images, labels[:-1], 1, batch_size=4)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        train_generator(model, images, labels + 5, 1, batch_size=4)
    with pytest.raises(ValueError, match="batch_size"):
        train_generator(model, images, labels, 1, batch_size=1)


def test_save_image_dataset_layout_round_trip_and_manifest(tmp_path):
    images, labels = toy_data(12)
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    ckpt = tmp_path / "g.pt"
    ckpt.write_bytes(b"pretend checkpoint")
    root = tmp_path / "cifar10-generated"
    path = save_image_dataset(images, labels, classes, root, {"generator": "cdcgan", "epochs": 6}, "train", ckpt)
    # every image is a lossless PNG at <split>/<class>/NNNN.png, numbered per class in array order
    for k, cls in enumerate(classes):
        idx = (labels == k).nonzero().flatten().tolist()
        files = sorted((root / "train" / cls).iterdir())
        assert [f.name for f in files] == [f"{j:04d}.png" for j in range(len(idx))]
        for f, i in zip(files, idx):
            assert np.array_equal(np.asarray(Image.open(f)), images[i].permute(1, 2, 0).numpy())
    manifest = yaml.safe_load(path.read_text())
    entry = manifest["splits"]["train"]
    assert manifest["classes"] == classes and manifest["name"] == "cifar10-generated"
    assert entry["count"] == 12 and sum(entry["per_class"].values()) == 12 and entry["per_class"]["airplane"] == 2
    assert entry["images_sha256"] == hashlib.sha256(images.numpy().tobytes()).hexdigest()
    assert entry["labels_sha256"] == hashlib.sha256(labels.to(torch.int64).numpy().tobytes()).hexdigest()
    assert entry["generator_checkpoint_sha256"] == hashlib.sha256(b"pretend checkpoint").hexdigest()
    assert entry["params"] == {"generator": "cdcgan", "epochs": 6}
    # a second split keeps the first; an existing split is refused
    save_image_dataset(images[:3], labels[:3], classes, root, split="test")
    manifest = yaml.safe_load(path.read_text())
    assert set(manifest["splits"]) == {"train", "test"} and manifest["splits"]["test"]["count"] == 3
    with pytest.raises(FileExistsError):
        save_image_dataset(images, labels, classes, root, split="train")
    with pytest.raises(ValueError, match="classes"):
        save_image_dataset(images, labels, ["a/b"] + classes[1:], tmp_path / "x")
    with pytest.raises(ValueError, match="index classes"):
        save_image_dataset(images, labels, classes[:5], tmp_path / "y")


def test_bad_generator_arguments():
    with pytest.raises(ValueError, match="mode_seeking"):
        create_generator("cdcgan", mode_seeking=-1.0)
    with pytest.raises(ValueError, match="sigma_x"):
        create_generator("cvae", sigma_x=0.0)


def test_save_generator_round_trip_and_weights_digest(tmp_path):
    g = create_generator("cdcgan", **TINY["cdcgan"])
    path = save_generator(g, tmp_path / "w" / "g.pt")
    back = load_generator(path)
    assert weights_digest(back) == weights_digest(g)
    assert torch.equal(sample(back, torch.arange(4), seed=5), sample(g, torch.arange(4), seed=5))
    # the digest covers every entry's bytes: one changed weight changes it
    with torch.no_grad():
        next(back.parameters()).view(-1)[0] += 1e-3
    assert weights_digest(back) != weights_digest(g)
    assert not any(p.name.endswith(".tmp") for p in path.parent.iterdir())


def test_tensor_digest_is_the_sha256_of_the_raw_bytes():
    t = torch.arange(12, dtype=torch.int64).view(3, 4)
    assert tensor_digest(t) == hashlib.sha256(t.numpy().tobytes()).hexdigest() == sha256_tensor(t)
    assert tensor_digest(t.t()) == hashlib.sha256(t.t().contiguous().numpy().tobytes()).hexdigest()  # C order


def _tiny_set(n=40, k=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
    return ImageSet(images, torch.arange(n) % k, [f"c{i}" for i in range(k)], {"name": "tiny"})


def test_holdout_split_is_disjoint_balanced_and_seeded():
    data = _tiny_set()
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
    a, b = _tiny_set(8), _tiny_set(4, seed=1)
    mixed = concat_sets(a, b)
    assert len(mixed) == 12 and torch.equal(mixed.images[8:], b.images) and mixed.meta["sizes"] == [8, 4]
    with pytest.raises(ValueError):
        concat_sets(a, ImageSet(b.images, b.labels, ["x", "y", "z", "w"]))
