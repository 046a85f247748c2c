"""Notebook 03, generated vs real training data, Bayesian nets and calibration: the report's
DALL-E images and ResNet152-V2 features are unavailable offline, so the book shows ``report``,
a CPU-sized version (a GAN trained here, simple_cnn classifiers on subsets)."""
NOTEBOOK = "03_generated_data_calibration"
PROFILES = {
    "smoke": {},
    # GAN width 32 on 10k real images for 4 epochs (624 steps, ~8 min), then 3 seeds x 7
    # simple_cnn trainings on 2,000 real / 2,000 generated / 4,000 mixed images for 6 epochs
    # (~18 min) and the evaluation (~8 min): ~35 min on one shared CPU thread
    "report": {"gan_width": 32, "gan_train_subset": 10000, "gan_epochs": 4, "gan_batch_size": 64,
               "train_subset": 2000, "generated_per_class": 200, "val_per_class": 50, "test_subset": 1000,
               "epochs": 6, "mc_samples": 5, "corruptions": ["gaussian_noise", "gaussian_blur"],
               "shift_sources": ["real"], "shift_subset": 250, "seeds": [0, 1, 2]},
    # fuller settings: GAN on all 50k images for 5 epochs (~30 min CPU per the issue at width 32),
    # all real images (minus 5,000 held out), as many generated ones, 20 epochs, 5 seeds, all corruptions
    "paper": {"gan_width": 32, "gan_train_subset": 0, "gan_epochs": 5, "gan_batch_size": 64,
              "train_subset": 45000, "generated_per_class": 4500, "val_per_class": 500, "test_subset": 0,
              "epochs": 20, "mc_samples": 20,
              "corruptions": ["brightness", "contrast", "defocus_blur", "gaussian_blur", "gaussian_noise",
                              "impulse_noise", "jpeg_compression", "pixelate", "shot_noise", "speckle_noise"],
              "shift_sources": ["real", "generated", "real+generated"], "shift_subset": 2000,
              "seeds": [0, 1, 2, 3, 4]},
}
PUBLISHED = "report"
