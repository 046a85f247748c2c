"""Notebook 01, STN augmentation with a max-entropy adversary (Cho, Kim & Yoon).

The paper's scale (ResNet-18 at ~30 img/s here, 100 + 50 + 100 epochs per arm) is weeks of
CPU time, so the book shows ``report``: the same three stages with a small CNN on a subset,
sized for about 35 minutes on one CPU thread.
"""
NOTEBOOK = "01_stn_augment"
PROFILES = {
    "smoke": {},
    "report": {"train_subset": 5000, "test_subset": 4000, "stage1_epochs": 6, "stage2_steps": 150,
               "stage2_batch": 64, "stage3_epochs": 2, "seeds": [0, 1, 2]},
    # the source's settings: ResNet-18, all of CIFAR-10, Adam 0.1 / 0.01, G and D at 1e-4 for 50 epochs
    "paper": {"model_name": "resnet18", "train_subset": 0, "test_subset": 0, "stage1_epochs": 100, "stage1_lr": 0.1,
              "stage2_steps": 19531, "stage2_batch": 128, "g_lr": 0.0001, "d_lr": 0.0001,
              "stage3_epochs": 100, "stage3_lr": 0.01, "seeds": [0, 1, 2]},
}
PUBLISHED = "report"
