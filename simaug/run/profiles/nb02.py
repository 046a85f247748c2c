"""Notebook 02, CAM-guided erasing: the thesis' 300-epoch ResNets x 5 runs need a GPU, so
the book shows ``report``, the evidence design of issue 16 (fixed before any of its runs)."""
NOTEBOOK = "02_cam_erasing"
PROFILES = {
    "smoke": {},
    # Issue 16's design, second execution. ResNet-20, class-balanced 10,000-image subset, flip + crop, 90 epochs,
    # lr x0.1 after epochs 45 and 67, erased copies appended from epoch 46 (the warm-up, epochs 1-45, is one run
    # per seed shared by its arms), full 10,000-image test set evaluated every 5 epochs.
    # Main: none / Random Erasing / CAM erasing b_h=2 x 8 paired seeds (the seed count is fixed).
    # Secondary: Cutout, Hide-and-Seek, Random Erasing in place from epoch 1 (p=0.5, no doubled batch) x 3.
    # b_h sweep (0, 1, 3, 4, 5) and CAM of the trained none model x 1 seed, without a verdict.
    # 47 stored runs: 8 warm-ups + 24 main + 9 secondary + 6 sweep/source arms.
    # Design revision: the first execution (60 epochs, lr x0.1 after 30 and 45) failed its "baseline fits" gate
    # at its first two seeds (none arm 91.4% training accuracy, flat over its last 15 epochs, needs >= 95%),
    # before any comparison of erasing methods was computed; what the gate names, the schedule's length, was
    # chosen from pilots of the baseline alone (warm-up + none, seed 100: pilot_epochs). The first
    # execution's runs (seeds 0 and 1) stay in the store; earlier_epochs shows their gates on the page.
    # Cost: 90/60 of the first execution's ~26M training-image passes, ~39M, ~17 h
    # on the 2-core machine in fp32 (two 1-thread runs at ~330 img/s each).
    "report": {"train_subset": 10000, "test_subset": 0, "epochs": 90, "eval_every": 5, "precision": "fp32",
               "seeds": [0, 1, 2, 3, 4, 5, 6, 7], "b_h": 2,
               "secondary": ["cutout", "hide_and_seek", "random_erasing_epoch0"], "secondary_seeds": [0, 1, 2],
               "bh_sweep": [0, 1, 3, 4, 5], "sweep_seeds": [0], "cam_after": True,
               "probe_images": 500, "n_draws": 500000, "earlier_epochs": [60], "pilot_epochs": [90, 120]},
    # the thesis' settings (swap model_name for resnet32 / resnet44): all images, 300 epochs, 5 runs
    "paper": {"train_subset": 0, "test_subset": 0, "epochs": 300, "eval_every": 5, "seeds": [0, 1, 2, 3, 4],
              "secondary": ["cutout", "hide_and_seek", "random_erasing_epoch0"], "secondary_seeds": [0, 1, 2, 3, 4],
              "bh_sweep": [0, 1, 3, 4, 5], "sweep_seeds": [0, 1, 2, 3, 4], "cam_after": True,
              "probe_images": 1000, "n_draws": 2500000},
}
PUBLISHED = "report"
# The evidence design of issue 16 is in the store: the report page renders from it.
FROZEN = False
