"""Notebook 02, CAM-guided erasing: the thesis' 300-epoch ResNets x 5 runs need a GPU, so
the book shows ``report``, the evidence design of issue 16 (fixed before any of its runs)."""
NOTEBOOK = "02_cam_erasing"
PROFILES = {
    "smoke": {},
    # Issue 16's design. ResNet-20, class-balanced 10,000-image subset, flip + crop, 60 epochs, lr x0.1
    # after epochs 30 and 45, erased copies appended from epoch 31 (the warm-up, epochs 1-30, is one run
    # per seed shared by its arms), full 10,000-image test set evaluated every 5 epochs.
    # Main: none / Random Erasing / CAM erasing b_h=2 x 8 paired seeds (the seed count is fixed).
    # Secondary: Cutout, Hide-and-Seek, Random Erasing in place from epoch 1 (p=0.5, no doubled batch) x 3.
    # b_h sweep (0, 1, 3, 4, 5) and CAM of the trained none model x 1 seed, without a verdict.
    # 47 stored runs: 8 warm-ups + 24 main + 9 secondary + 6 sweep/source arms.
    # Cost in training-image passes (a Grad-CAM pass of B images ~0.385 of a training pass: 1,560 vs
    # 600 img/s in results/bench/augment.json; a test evaluation ~1/3): warm-ups 2.40M, none 2.40M,
    # RE 4.80M, CAM 5.72M, Cutout + HaS 3.60M, RE epoch 1 1.80M, sweep 3.58M, CAM after 0.72M,
    # evaluations 1.0M: ~26.0M passes, ~12 h on the 2-core machine in fp32 at ~600 img/s (~6.7 h in
    # bf16 at ~1.8x). This assumes the arms branch from the shelved warm-up checkpoints
    # (runs/work/02_cam_erasing/final/, same machine); an arm that finds none re-trains its warm-up
    # (+0.3M passes each, up to +10.8M in all).
    "report": {"train_subset": 10000, "test_subset": 0, "epochs": 60, "eval_every": 5, "precision": "fp32",
               "seeds": [0, 1, 2, 3, 4, 5, 6, 7], "b_h": 2,
               "secondary": ["cutout", "hide_and_seek", "random_erasing_epoch0"], "secondary_seeds": [0, 1, 2],
               "bh_sweep": [0, 1, 3, 4, 5], "sweep_seeds": [0], "cam_after": True,
               "probe_images": 500, "n_draws": 500000},
    # the thesis' settings (swap model_name for resnet32 / resnet44): all images, 300 epochs, 5 runs
    "paper": {"train_subset": 0, "test_subset": 0, "epochs": 300, "eval_every": 5, "seeds": [0, 1, 2, 3, 4],
              "secondary": ["cutout", "hide_and_seek", "random_erasing_epoch0"], "secondary_seeds": [0, 1, 2, 3, 4],
              "bh_sweep": [0, 1, 3, 4, 5], "sweep_seeds": [0, 1, 2, 3, 4], "cam_after": True,
              "probe_images": 1000, "n_draws": 2500000},
}
PUBLISHED = "report"
# The committed report page predates the run store; it stays as committed until the evidence
# design of this chapter (issues 15/16) is in the store.
FROZEN = True
