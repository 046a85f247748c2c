"""Notebook 00, the confusion-rate loss: the paper's VGG13 / ResNets at 64x64 for 50-100
epochs need a GPU, so the book shows ``report``, a CPU-sized version of the same comparison."""
NOTEBOOK = "00_confusion_rate"
PROFILES = {
    "smoke": {},
    # simple_cnn, 3 seeds x 3 losses on both stand-ins plus a one-seed k sweep 0-5: about
    # 650k training images, ~35 min on one shared CPU thread (~370 img/s)
    "report": {"hangul_train_per_class": 50, "hangul_test_per_class": 20, "hangul_epochs": 12,
               "cifar_train_subset": 4000, "cifar_test_subset": 2000, "cifar_epochs": 8,
               "seeds": [0, 1, 2], "sweep_ks": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "sweep_seeds": [0]},
    # the paper's settings (VGG13; swap model_name for resnet18 / resnet34), on the stand-in data
    "paper": {"model_name": "vgg13", "hangul_size": 64, "hangul_train_per_class": 400, "hangul_test_per_class": 100,
              "hangul_epochs": 50, "cifar_train_subset": 0, "cifar_test_subset": 0, "cifar_epochs": 100,
              "batch_size": 512, "lr": 0.01, "momentum": 0.9, "k": 3.0, "seeds": [0, 1, 2],
              "sweep_ks": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "sweep_seeds": [0, 1, 2]},
}
PUBLISHED = "report"
