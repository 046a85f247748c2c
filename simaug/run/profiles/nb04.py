"""Notebook 04, the tutorial CNN: its own settings fit this machine, so the book shows ``paper``."""
NOTEBOOK = "04_cifar10_cnn"
_TUTORIAL = {"train_subset": 0, "test_subset": 0, "epochs": 10, "batch_size": 32, "lr": 0.001, "precision": "fp32",
             "seeds": [0, 1, 2, 3, 4, 5, 6, 7]}
PROFILES = {
    "smoke": {},
    # the tutorial's settings (all 50k images, Adam, batch 32, 10 epochs) with 8 seeds, so that the tutorial's
    # single run can be read against a 95% prediction interval: 8 x 500k training images, ~3 min per seed at
    # ~3,000 img/s on 2 cores (~0.4 CPU-h in all)
    "report": dict(_TUTORIAL),
    "paper": dict(_TUTORIAL),
}
PUBLISHED = "paper"
