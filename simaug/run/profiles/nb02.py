"""Notebook 02, CAM-guided erasing: the thesis' 300-epoch ResNets x 5 runs need a GPU, so
the book shows ``report``, a CPU-sized version of the same comparison."""
NOTEBOOK = "02_cam_erasing"
PROFILES = {
    "smoke": {},
    # resnet20 on 2,000 images for 4 epochs (2 warm-up, shared per seed); 2 seeds x 5 methods,
    # b_h sweep 0-5 and the CAM-after arm on seed 0: 17 arms, ~130k training-image passes: ~35-45 min on one shared CPU thread (~60 img/s)
    "report": {"train_subset": 2000, "test_subset": 1000, "epochs": 4, "seeds": [0, 1],
               "bh_sweep": [0, 1, 3, 4, 5], "bh_seeds": [0], "cam_after": True, "n_draws": 2500000},
    # the thesis' settings (swap model_name for resnet32 / resnet44)
    "paper": {"train_subset": 0, "test_subset": 0, "epochs": 300, "seeds": [0, 1, 2, 3, 4],
              "bh_sweep": [0, 1, 3, 4, 5], "bh_seeds": [0, 1, 2, 3, 4], "cam_after": True, "n_draws": 2500000},
}
PUBLISHED = "report"
