"""Notebook 02, CAM-guided erasing: the thesis' 300-epoch ResNets x 5 runs need a GPU, so
the book shows ``report``, a CPU-sized version of the same comparison."""
NOTEBOOK = "02_cam_erasing"
PROFILES = {
    "smoke": {},
    # resnet20 on 5,000 images for 6 epochs (3 warm-up, shared per seed); 2 seeds x 5 methods,
    # b_h sweep 0-5 and the CAM-after arm on seed 0: 17 arms, ~480k training-image passes:
    # ~25 min on two free CPU cores (~400 img/s with the CAM passes)
    "report": {"train_subset": 5000, "test_subset": 2000, "epochs": 6, "seeds": [0, 1],
               "bh_sweep": [0, 1, 3, 4, 5], "bh_seeds": [0], "cam_after": True, "n_draws": 2500000},
    # the thesis' settings (swap model_name for resnet32 / resnet44)
    "paper": {"train_subset": 0, "test_subset": 0, "epochs": 300, "seeds": [0, 1, 2, 3, 4],
              "bh_sweep": [0, 1, 3, 4, 5], "bh_seeds": [0, 1, 2, 3, 4], "cam_after": True, "n_draws": 2500000},
}
PUBLISHED = "report"
