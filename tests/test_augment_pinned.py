"""Pinned outputs: for a fixed generator state and a fixed small input, every transform
(each erasing kernel and fill mode, CAM erasing with a fixed CAM, random affine, crop +
flip, each CIFAR-10-C corruption), the augmentation callbacks, Grad-CAM and the trainer's
batches give exactly the bytes recorded here (sha256 of dtype, shape and data).

The digests were computed with the code before the batch-transform refactor (issue 13),
so stored runs stay valid: if one of them changes, the output of a transform changed,
and the studies using it need a new ``version``. Computed with one torch thread on CPU.
"""
import hashlib
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from simaug.augment import ErasingCallback, create_augment, erase_ratios
from simaug.cam import GradCAM
from simaug.shift import corrupt, list_corruptions
from simaug.stn import AffineBounds, RandomAffineCallback, STNAugmentCallback, STNAugmenter, random_affine
from simaug.train import random_crop_flip


def digest(t: torch.Tensor) -> str:
    t = t.detach().cpu().contiguous()
    h = hashlib.sha256(f"{t.dtype} {tuple(t.shape)} ".encode())
    h.update(t.numpy().tobytes())
    return h.hexdigest()[:32]


def gen(seed):
    return torch.Generator().manual_seed(seed)


def images():
    g = gen(123)
    x = torch.rand(6, 3, 32, 32, generator=g) + 0.5  # > 0: zero fill is visible
    u8 = torch.randint(0, 256, (6, 3, 32, 32), generator=g, dtype=torch.uint8)
    cam = torch.rand(6, 8, 8, generator=g)
    return x, u8, cam


class TinyResNetish(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.layer3 = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, stride=2), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, k))

    def forward(self, x):
        return self.head(self.layer3(self.stem(x)))


def erasing_cases():
    x, u8, cam = images()
    for name in ("random_erasing", "cutout", "hide_and_seek", "none"):
        yield f"{name}/float", create_augment(name)(x, gen(1))
        yield f"{name}/uint8", create_augment(name)(u8, gen(1))
    yield "cam_erasing/float", create_augment("cam_erasing")(x, gen(1), cam=cam)
    yield "cam_erasing/uint8", create_augment("cam_erasing")(u8, gen(1), cam=cam)
    yield "cam_erasing/b_h0_top_left", create_augment("cam_erasing", b_h=0, corner="top_left")(x, gen(2), cam=cam)
    yield "cam_erasing/points", create_augment("cam_erasing", b_h=3)(x, gen(2), points=torch.randint(0, 32, (6, 2), generator=gen(4)))
    for fill, value in (("mean", None), ("constant", (0.1, 0.2, 0.3)), ("random", None)):
        for name in ("random_erasing", "cutout", "hide_and_seek"):
            yield f"{name}/{fill}", create_augment(name, p=1.0, fill=fill, value=value)(x, gen(3))
        yield f"cam_erasing/{fill}", create_augment("cam_erasing", fill=fill, value=value)(x, gen(3), cam=cam)
    yield "random_erasing/mean_uint8", create_augment("random_erasing", p=1.0, fill="mean")(u8, gen(3))
    yield "random_erasing/log", create_augment("random_erasing", p=1.0, aspect_sampling="log", attempts=3)(x, gen(5))
    yield "cutout/size8_p0.5", create_augment("cutout", size=8, p=0.5)(x, gen(6))
    yield "hide_and_seek/patch5", create_augment("hide_and_seek", patch=5, hide_prob=0.3, p=1.0)(x, gen(7))
    for name in ("random_erasing", "cutout", "hide_and_seek", "cam_erasing"):
        yield f"erase_ratios/{name}", erase_ratios(name, 3000, seed=8, chunk=1000)
    yield "erase_ratios/cam_erasing_cam", erase_ratios("cam_erasing", 3000, seed=8, cam=cam, b_h=1)


def geometry_cases():
    x, u8, _ = images()
    yield "random_affine/default", random_affine(x, AffineBounds(), gen(1))
    yield "random_affine/border", random_affine(x, AffineBounds(rotation_deg=30, scale=0.3, translate=0.1, shear=0.2),
                                                gen(2), padding_mode="border")
    yield "crop_flip/u8_4_flip", random_crop_flip(u8, 4, True, gen(1))
    yield "crop_flip/u8_2_noflip", random_crop_flip(u8, 2, False, gen(1))
    yield "crop_flip/u8_0_flip", random_crop_flip(u8, 0, True, gen(1))
    yield "crop_flip/float_3_flip", random_crop_flip(x, 3, True, gen(2))


def corruption_cases():
    _, u8, _ = images()
    for name in list_corruptions():
        for severity in (1, 4):
            yield f"corrupt/{name}/{severity}", corrupt(u8, name, severity, seed=11)


def callback_cases():
    x, _, _ = images()
    y = torch.arange(6) % 3
    trainer = SimpleNamespace(config=SimpleNamespace(epochs=2, seed=5), device=torch.device("cpu"))
    for name in ("random_erasing", "cutout", "hide_and_seek"):
        cb = ErasingCallback(name, start_epoch=0)
        cb.on_fit_start(trainer)
        cb.on_epoch_start(trainer, 0)
        for step in range(2):
            yield f"ErasingCallback/{name}/{step}", cb.on_batch_start(trainer, x, y)[0]
    torch.manual_seed(0)
    model = TinyResNetish()
    trainer.model = model
    for target in ("label", "predicted"):
        cb = ErasingCallback("cam_erasing", cam_target=target)
        cb.on_fit_start(trainer)
        cb.on_epoch_start(trainer, 1)
        for step in range(2):
            yield f"ErasingCallback/cam_erasing/{target}/{step}", cb.on_batch_start(trainer, x, y)[0]
    with GradCAM(model, "layer3") as cam:
        yield "GradCAM/predicted", cam(x)
        yield "GradCAM/label", cam(x, targets=y)
    cb = RandomAffineCallback({"rotation_deg": 20.0}, seed=3)
    for step in range(2):
        yield f"RandomAffineCallback/{step}", cb.on_batch_start(None, x, y)[0]
    torch.manual_seed(1)
    G = STNAugmenter(3)
    with torch.no_grad():
        G.head.bias.add_(0.05 * torch.randn(6))
    yield "STNAugmentCallback", STNAugmentCallback(G).on_batch_start(None, x, y)[0]


def trainer_cases():
    from simaug.data import ImageSet
    from simaug.train import Trainer, TrainConfig

    g = gen(0)
    imgs = torch.randint(0, 256, (40, 3, 12, 12), generator=g, dtype=torch.uint8)
    data = ImageSet(imgs, torch.arange(40) % 2, ["a", "b"], {"name": "toy"})
    for pad, flip in ((4, True), (2, False), (0, False)):
        torch.manual_seed(0)
        cfg = TrainConfig(epochs=2, batch_size=16, crop_padding=pad, flip=flip, seed=3, device="cpu", progress=False)
        tr = Trainer(nn.Sequential(nn.Flatten(), nn.Linear(3 * 144, 2)), cfg, data)
        for epoch in (0, 1):
            for i, (xb, yb) in enumerate(tr._batches(epoch)):
                yield f"Trainer._batches/{pad}/{flip}/{epoch}/{i}", torch.cat([xb.flatten(), yb.float()])


ALL_CASES = {"erasing": erasing_cases, "geometry": geometry_cases, "corruption": corruption_cases,
             "callback": callback_cases, "trainer": trainer_cases}

PINNED = {
    "erasing": {
        "random_erasing/float": "180423bc1eae8a8f9ceb41cbcc5bca59",
        "random_erasing/uint8": "6f38da63afa2c2564a4f142a768d5de6",
        "cutout/float": "b675e31b3ba5724022b77f6638b5663c",
        "cutout/uint8": "15e8c7861fe834dcb51c32779447e66d",
        "hide_and_seek/float": "56e287d358c228e593e52784844766a1",
        "hide_and_seek/uint8": "6190d3e8b9799f0311f84eb7bfb51a92",
        "none/float": "7abf3789c96c23d346615e4ac5622373",
        "none/uint8": "9e39035158714e4105cfa717a6f6dd04",
        "cam_erasing/float": "9976b7775242d23b1dd8797ea8da36aa",
        "cam_erasing/uint8": "6b97147e9f0591c5c4ff8cd9f83d32e3",
        "cam_erasing/b_h0_top_left": "9ff13b1f07fe8abd03407f06685bf7f9",
        "cam_erasing/points": "01f6784c3ac412766079da52cea66607",
        "random_erasing/mean": "102c2e13f1d0a1ac7fb1aecba04e4f00",
        "cutout/mean": "e3688d75dc9e57c828bf95076e175d2b",
        "hide_and_seek/mean": "eda92db3c5483348a1590a3346464955",
        "cam_erasing/mean": "d22a96fb7d080c0dde6b8b1aedad3282",
        "random_erasing/constant": "987f0d68641b5ea8571e4b5541eb7908",
        "cutout/constant": "44d2e34148881350482fda886edf48e6",
        "hide_and_seek/constant": "a58f1635dead110a9de6962729e198d3",
        "cam_erasing/constant": "131f7c9fbdc0f9c68f5eaf6dd17210eb",
        "random_erasing/random": "21b10abc83297b73a5de7f2e61cffd94",
        "cutout/random": "b616d7a5a33b2a0995bf37aa06b07ad7",
        "hide_and_seek/random": "e831f7bb35589092067c9f5ab2bcaddb",
        "cam_erasing/random": "8f5aa67175eb0723b49eab651a15d42b",
        "random_erasing/mean_uint8": "5b82fcc12ac8d6d67efde3437f9c283b",
        "random_erasing/log": "fb7d8749768835c626d699ddb83beae2",
        "cutout/size8_p0.5": "ee617abba5fb8d621bf84a7d95eef80f",
        "hide_and_seek/patch5": "39700130c59488038a657bcbb060d2f1",
        "erase_ratios/random_erasing": "dc777d61c6f3ae6b65f658137c60fd30",
        "erase_ratios/cutout": "2ab31ea051510724fe9395e112c40813",
        "erase_ratios/hide_and_seek": "7fe7bceced7f6e2b2bd623748a686879",
        "erase_ratios/cam_erasing": "19051d7bffe59c80e6c6fcb2ac8bf863",
        "erase_ratios/cam_erasing_cam": "260e5f68b0c2a6a55b295a7f43f457cf",
    },
    "geometry": {
        "random_affine/default": "09c5a245eb39be065241e9d8cbe8d266",
        "random_affine/border": "3fab21a8a9adc1f54a6738ef58391367",
        "crop_flip/u8_4_flip": "13164223208108d39559ba9fd74ed68f",
        "crop_flip/u8_2_noflip": "52cee7f1484bbb346e9b1c4699650aef",
        "crop_flip/u8_0_flip": "e77a13966a59553afe8103befb6a96a0",
        "crop_flip/float_3_flip": "6760485f9c9051bba6a7afb4782917ba",
    },
    "corruption": {
        "corrupt/brightness/1": "c72977361af46c9a873d3dec55e67e12",
        "corrupt/brightness/4": "ea7442c8c36d80920ee63f08bafaac6d",
        "corrupt/contrast/1": "1fe8d7939a9869c47e0c812a5aad8f01",
        "corrupt/contrast/4": "8a23668a4b5f62f903b485aa2a3c391d",
        "corrupt/defocus_blur/1": "adf8ca70043e09562c762b8288d62b5f",
        "corrupt/defocus_blur/4": "3872ad7fd89d485bbd40fb96bb781b6e",
        "corrupt/gaussian_blur/1": "f23a5ef19de06a0ef7ac13ee624f7219",
        "corrupt/gaussian_blur/4": "f2adfcc140b8b14bf4dc1896ced6b2bf",
        "corrupt/gaussian_noise/1": "694e6abcb347dcf75a3d8971f21d07b7",
        "corrupt/gaussian_noise/4": "e2ec2eb828691f4be359c04aec1a306a",
        "corrupt/impulse_noise/1": "bd990fda2e47bf529a4b81b0f320ca02",
        "corrupt/impulse_noise/4": "bee942a88c1b0ec5d685bd9ccc5ee3bd",
        "corrupt/jpeg_compression/1": "97bbf05dc0079f59cf01c2735e35c19a",
        "corrupt/jpeg_compression/4": "5250288d74b7376cfbbf51a6734f810e",
        "corrupt/pixelate/1": "69c307f332c6a3fada61e15633798e6e",
        "corrupt/pixelate/4": "7983b0413e263aa5469e48b7d72ca462",
        "corrupt/shot_noise/1": "b844d284657d7eebd3786c2406daf21b",
        "corrupt/shot_noise/4": "2974f207a08d564c3737f0e66f6ecda2",
        "corrupt/speckle_noise/1": "d7490f6981672448b659bb8c3800c055",
        "corrupt/speckle_noise/4": "2495e6cfa8a169ca35011cfd4263cbad",
    },
    "callback": {
        "ErasingCallback/random_erasing/0": "4a4c9888fd7f531e1a0941a687b5808b",
        "ErasingCallback/random_erasing/1": "5ac63a84b201f3ce0cb74d7ec332211a",
        "ErasingCallback/cutout/0": "680f208a75e617d805baeaa7a2becc42",
        "ErasingCallback/cutout/1": "440302630dac2193c6af31c5a46a8202",
        "ErasingCallback/hide_and_seek/0": "00fd2fc9e69f7d67ca78a9f48492d61b",
        "ErasingCallback/hide_and_seek/1": "d535fb3d37cb220db2f7253cb983fa6e",
        "ErasingCallback/cam_erasing/label/0": "f6332d4a025d44bdca1ec1137dbba148",
        "ErasingCallback/cam_erasing/label/1": "47d106c9298901e486a5de3c13312911",
        "ErasingCallback/cam_erasing/predicted/0": "4c4dc2b22ef3a758d2e8b53616aa075b",
        "ErasingCallback/cam_erasing/predicted/1": "983c8b1d1656a795106a4890a6bfa837",
        "GradCAM/predicted": "b7c4933716b9f9f7bf8233461fc17617",
        "GradCAM/label": "bbf249f4ae72a475560288e4c60b9383",
        "RandomAffineCallback/0": "4750f950eae1c318e9f7321de79c0918",
        "RandomAffineCallback/1": "5eebbbd7e4d64dc2c49285aa95880758",
        "STNAugmentCallback": "f921afe681f2e6c2c1c7f2e74db66a01",
    },
    "trainer": {
        "Trainer._batches/4/True/0/0": "50fb777c3d7e9dd393e336b1245318eb",
        "Trainer._batches/4/True/0/1": "4157dda0aa0a4f92900715927e5b9433",
        "Trainer._batches/4/True/0/2": "1cde672a13b0917666418f0a72098902",
        "Trainer._batches/4/True/1/0": "b1bba7c57cd1e648068bb0419133cf39",
        "Trainer._batches/4/True/1/1": "85b48526849b57eedaefa854754e7674",
        "Trainer._batches/4/True/1/2": "12835b6e61286d1953d94fe06ba79252",
        "Trainer._batches/2/False/0/0": "e8a7b5f643a68bec45066aac5dfe6e7e",
        "Trainer._batches/2/False/0/1": "f31d38e52b8ca4b94e49d3fd7627ae10",
        "Trainer._batches/2/False/0/2": "0540f91998dc47fc0ce31fd734a44aed",
        "Trainer._batches/2/False/1/0": "cc23f81ec4868c895e1c588835b6872e",
        "Trainer._batches/2/False/1/1": "1df0cb1be25aa7165bb3aafacbb5da83",
        "Trainer._batches/2/False/1/2": "fefef6ded9a450e34a700b73701a786b",
        "Trainer._batches/0/False/0/0": "9d6cbd40a9ffcf038fc250b54132c814",
        "Trainer._batches/0/False/0/1": "09fd6c47e93d7e5f994f603fd87aa610",
        "Trainer._batches/0/False/0/2": "2140ec4750105008f5cbc6cd74ed63a4",
        "Trainer._batches/0/False/1/0": "b81e1b9ecbdeb441187d377ab4919434",
        "Trainer._batches/0/False/1/1": "ceea59ce10d5b3b991c06522a8501cbb",
        "Trainer._batches/0/False/1/2": "85a9a75335306ba7f906acb12de5629d",
    },
}


# The float outputs of ``affine_grid`` + ``grid_sample`` (random affine, the STN augmenter) depend on
# the CPU type: the same code gives other low-order bits on an AMD EPYC (avx512) than on the Intel Xeon
# (AMX) where PINNED was computed. Their digests on the other CPU types seen, by ``cpu_model()``; on
# any CPU an output must match the digest pinned for its type (the Intel one where none is).
PINNED_BY_CPU = {
    "AMD EPYC": {
        "random_affine/default": "deb5aedea287cad44874d7e0833b6a3a",
        "random_affine/border": "927c306df17fb84b6449d82a0d1d0f25",
        "RandomAffineCallback/0": "4274cdc20a8285110b1a8200593828af",
        "RandomAffineCallback/1": "a516690199b61a91cc7ac4f264577c31",
        "STNAugmentCallback": "597d0c5231881537d814ef8550d16dbc",
    },
}


@pytest.mark.parametrize("group", list(ALL_CASES))
def test_pinned_outputs(group):
    from simaug.provenance import cpu_model

    got = {k: digest(v) for k, v in ALL_CASES[group]()}
    expected = {**PINNED[group], **{k: v for k, v in PINNED_BY_CPU.get(cpu_model(), {}).items() if k in PINNED[group]}}
    assert set(got) == set(expected), sorted(set(got) ^ set(expected))
    changed = sorted(k for k in got if got[k] != expected[k])
    assert not changed, f"outputs changed: {changed}"


def test_random_affine_matches_an_independent_float64_computation():
    """What the CPU-specific digests cannot check everywhere: the warp is affine_grid +
    grid_sample of the sampled matrices, to float32 rounding on any CPU."""
    import torch.nn.functional as F

    from simaug.augment import affine

    x, _, _ = images()
    aug = create_augment("random_affine", rotation_deg=30, scale=0.3, translate=0.1, shear=0.2, padding_mode="border")
    params = aug.sample(x, gen(2))
    out, theta = aug.apply(x, params), affine.compose_theta(params)
    grid = F.affine_grid(theta.double(), list(x.shape), align_corners=False)
    ref = F.grid_sample(x.double(), grid, mode="bilinear", padding_mode="border", align_corners=False)
    torch.testing.assert_close(out.double(), ref, rtol=0, atol=1e-5)
