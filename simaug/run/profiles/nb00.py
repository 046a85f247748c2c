"""Notebook 00, the confusion-rate loss. The paper's VGG13 / ResNets at 64x64 for 50-100 epochs
need a GPU; the book shows ``report``, the evidence design of issue 15 for this chapter."""
NOTEBOOK = "00_confusion_rate"
_SEEDS8 = [0, 1, 2, 3, 4, 5, 6, 7]
PROFILES = {
    "smoke": {},
    # Issue 15's design. simple_cnn, SGD lr 0.01, momentum 0.9, batch 64, no augmentation.
    # Noisy CIFAR-10: 20,000 training images (10% pair-flip noise inside cat/dog, automobile/truck,
    # deer/horse, airplane/ship), 80 epochs (40 before the revision below), evaluated on all 10,000 test images every 5 epochs and
    # after the last; cross-entropy vs CR (k = 3) x 8 paired seeds, Pairwise Confusion x 3 (seeds 0-2),
    # k sweep {1, 2, 3, 5} x 3 seeds (k = 3 is the main CR run, k = 0 the cross-entropy run: shared).
    # Rendered Hangul (32x32, 45 classes): 150 training images per class (6,750) from the training
    # fonts, 100 test images per class (4,500) from unseen fonts, 40 epochs; cross-entropy vs CR x 8.
    # 44 runs: 28 CIFAR-10 (44.8M training images at 80 epochs) + 16 Hangul (4.3M), 5.1M evaluated images.
    # Cost at the speed budget (simple_cnn ~3,000 img/s fp32 on 2 cores; bf16 ~2.7x): about
    # 4.7 CPU-hours in fp32 (2.6 at 40 epochs) (`study.cost(config)` computes it from the plan; the
    # 3,000 img/s budget was not re-measured at batch 64 on a quiet machine).
    # Batch 64 rather than the paper's 512: 20,000 images at batch 512 give only 39 SGD steps per epoch.
    # Revision (2026-12-02): at 40 CIFAR-10 epochs the cross-entropy baseline failed the plateau gate
    # (8 seeds; the seed-mean test accuracy still falling while the nets memorised the flipped labels),
    # so the CIFAR-10 arms are re-run at 80 epochs, the training length the gate names; nothing else
    # changed. The page shows the gate of the 40-epoch execution from its stored runs.
    "report": {"model_name": "simple_cnn", "cifar_train_subset": 20000, "cifar_test_subset": 0, "cifar_epochs": 80,
               "noise_rate": 0.1, "hangul_size": 32, "hangul_train_per_class": 150, "hangul_test_per_class": 100,
               "hangul_epochs": 40, "batch_size": 64, "lr": 0.01, "momentum": 0.9, "eval_every": 5, "k": 3.0,
               "pc_lambda": 0.1, "precision": "fp32", "seeds": _SEEDS8, "pc_seeds": [0, 1, 2],
               "sweep_ks": [1.0, 2.0, 3.0, 5.0], "sweep_seeds": [0, 1, 2], "hangul_seeds": _SEEDS8,
               "earlier_cifar_epochs": [40]},
    # the paper's settings (VGG13 at batch 512; swap model_name for resnet18 / resnet34) on the
    # stand-in data: all of CIFAR-10 for 100 epochs, 64x64 Hangul (400 / 100 per class) for 50
    "paper": {"model_name": "vgg13", "cifar_train_subset": 0, "cifar_test_subset": 0, "cifar_epochs": 100,
              "noise_rate": 0.1, "hangul_size": 64, "hangul_train_per_class": 400, "hangul_test_per_class": 100,
              "hangul_epochs": 50, "batch_size": 512, "lr": 0.01, "momentum": 0.9, "eval_every": 5, "k": 3.0,
              "pc_lambda": 0.1, "precision": "fp32", "seeds": [0, 1, 2], "pc_seeds": [0, 1, 2],
              "sweep_ks": [1.0, 2.0, 3.0, 4.0, 5.0], "sweep_seeds": [0, 1, 2], "hangul_seeds": [0, 1, 2]},
}
PUBLISHED = "report"
# The evidence design of issue 15 is in the store: the report page renders from it.
FROZEN = False
