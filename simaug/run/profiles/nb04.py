"""Notebook 04, the tutorial CNN: its own settings fit this machine, so the book shows ``paper``."""
NOTEBOOK = "04_cifar10_cnn"
PROFILES = {
    "smoke": {},
    # full CIFAR-10, Adam, batch 32, 10 epochs, three seeds: ~3 min per seed on 2 CPU cores
    "report": {"train_subset": 0, "test_subset": 0, "epochs": 10, "seeds": [0, 1, 2]},
    "paper": {"train_subset": 0, "test_subset": 0, "epochs": 10, "seeds": [0, 1, 2]},
}
PUBLISHED = "paper"
