"""One classifier run of chapter 03: assemble its training set (real and/or generated
images), build the network (deterministic, or its Bayes-by-Backprop twin trained on the
ELBO), train it with checkpoints in the work folder, and evaluate its predictive on the real
test set (:mod:`.evaluation`)."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

import torch

from ...bayes import ELBOLoss, convert_to_bayes, mc_predict, model_kl
from ...bayes.bayes_layer import BayesLayer
from ...data import ImageSet, load
from ...generative import concat_sets
from ...metrics.confusion import confusion_matrix
from ...models import create_model
from ...runstore import RunResult
from ...train import TrainConfig, Trainer
from . import evaluation
from .generator_run import generated_set

# Images per forward in evaluation and the Monte-Carlo predictive, unless the spec's recipe says.
# A Bayes net draws its weights once per forward, so the split of the test set into batches
# decides which draw each image sees (and how far the global random stream advances during
# the evaluations inside training): the stored runs were made with 1000, the Trainer's old default.
EVAL_BATCH_SIZE = 1000


def training_set(parts: List[Dict[str, Any]], classes, work_dir) -> Tuple[ImageSet, List[dict]]:
    """The concatenation of the spec's parts, and each part's provenance record."""
    sets = []
    for p in parts:
        if p["source"] == "real":
            sets.append(load(p["name"], p["split"]).subset(p["subset"] or None, seed=p["subset_seed"]))
        else:
            sets.append(generated_set(p["generator"], p["n"], p["latent_seed"], classes, work_dir))
    train = sets[0]
    for s in sets[1:]:
        train = concat_sets(train, s, name="+".join(x.meta.get("name", "?") for x in sets))
    return train, [s.meta for s in sets]


def build(spec: Dict[str, Any], n_train: int):
    """``(network, loss_fn)``: the registry model, or its Bayes-by-Backprop twin with the ELBO
    ``CE + kl_weight * KL / N`` (``loss_fn`` None = cross-entropy)."""
    torch.manual_seed(spec["seed"])
    net = create_model(spec["model"])
    m = spec["method"]
    if m["name"] == "deterministic":
        return net, None
    net = convert_to_bayes(net, prior_sigma=m["prior_sigma"], rho_init=m["rho_init"])
    return net, ELBOLoss(net, n_train, m["kl_weight"])


def recipe(spec: Dict[str, Any]) -> Dict[str, Any]:
    """The ``TrainConfig`` fields of a classifier spec (evaluation batches of ``EVAL_BATCH_SIZE``
    unless the spec's recipe names its own)."""
    return dict({"eval_batch_size": EVAL_BATCH_SIZE}, **spec["train"], seed=spec["seed"], precision=spec["precision"],
                progress=False)


def predictive(trainer: Trainer, images: torch.Tensor, m: Dict[str, Any]) -> torch.Tensor:
    """Softmax samples (S, N, K) on the CPU: S = 1 (deterministic) or ``mc_samples`` weight draws."""
    if m["name"] == "deterministic":
        return torch.softmax(trainer.predict(images), -1)[None]
    with trainer.autocast():
        probs = mc_predict(trainer.model, images, m["mc_samples"], batch_size=trainer.config.eval_batch_size,
                           transform=trainer.to_input, mc_dropout=False, seed=m["mc_seed"])
    return probs.float().cpu()


def execute_classifier(spec: Dict[str, Any], work_dir) -> RunResult:
    d, ev, m = spec["data"], spec["evaluation"], spec["method"]
    test = load(d["test"]["name"], d["test"]["split"]).subset(d["test"]["subset"] or None, seed=d["test"]["subset_seed"])
    train, metas = training_set(d["train"], test.classes, work_dir)
    net, loss_fn = build(spec, len(train))
    trainer = Trainer(net, TrainConfig(**recipe(spec)), train, test, loss_fn=loss_fn, run_dir=work_dir)
    history = trainer.fit()
    probs = predictive(trainer, test.images, m)  # (S, N, K)
    cal, arrays = evaluation.calibration(probs, test.labels, ev)
    outs = {name: predictive(trainer, evaluation.ood_images(test, name, ev["ood_subset"], ev["ood_seed"]), m)
            for name in ev["ood_sets"]}
    ood, ood_arrays = evaluation.ood(probs, outs, ev)
    pred = probs.mean(0).argmax(1)
    last = history.iloc[-1]
    metrics = {"train_acc": float(last.train_acc), "test_acc": cal["accuracy"], "train_loss": float(last.train_loss),
               "test_acc_last_eval": float(last.test_acc), "epochs": int(last.epoch), "n_train": len(train),
               "n_test": len(test), "n_params": sum(p.numel() for p in net.parameters()),
               **{k: v for k, v in cal.items() if k != "accuracy"}, **ood}
    gen = [x for x in metas if x.get("name") == "cifar10-generated"]
    if gen:
        metrics["generator_sha256"] = gen[0]["generator_sha256"]
        metrics["generated_images_sha256"] = gen[0]["images_sha256"]
    if m["name"] == "bbb":
        with torch.no_grad():
            sig = torch.cat([torch.nn.functional.softplus(mod.weight_rho).flatten() for mod in net.modules()
                             if isinstance(mod, BayesLayer)])
            metrics["bbb_sigma_mean"] = float(sig.mean())
            metrics["kl_per_example"] = float(model_kl(net)) / len(train)
    history = history.drop(columns=[c for c in ("train_time_s", "images_per_s") if c in history])
    return RunResult(metrics=metrics, history=history,
                     arrays={**arrays, **ood_arrays, "test_cm": confusion_matrix(pred, test.labels, test.num_classes).numpy()},
                     provenance={"datasets": [*metas, test.meta]})
