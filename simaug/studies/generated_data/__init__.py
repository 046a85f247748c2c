"""Study of notebook 03: can generated images replace real ones; Bayes by Backprop; calibration.

The student report trained one classifier on DALL-E images (91.06% on real test images) and on
real images (94.92%), and a Bayesian net on the generated images (19.56%); its calibration
section restates Guo et al. (2017). Offline we test the relations on CIFAR-10 with a
class-conditional GAN trained here and a small CNN (see :mod:`.specs` for the runs):

* ``sources``: classifiers on real, generated, small real + generated and small real images;
* ``bnn``: Bayes by Backprop with the full KL term against its deterministic twin;
* ``calibration``: nets on (all) real images with and without weight decay, ECE before and
  after temperature scaling, over- or under-confidence.

    from simaug.studies import generated_data as study
    specs = study.plan(study.Config(seeds=[0]))
    res = study.Results(config, runs)        # tables, figure inputs, gates, claims
"""
from __future__ import annotations

from typing import Any, Dict

from ...runstore import RunResult
from .classifier_run import execute_classifier
from .config import BNN_SOURCES, SOURCES, Config
from .generator_run import execute_generator, weights_path
from .results import Results
from .specs import NAME, VERSION, Arm, arms, generator_spec, plan

__all__ = ["NAME", "VERSION", "Config", "plan", "execute", "arms", "Arm", "Results", "generator_spec", "weights_path",
           "SOURCES", "BNN_SOURCES"]


def execute(spec: Dict[str, Any], work_dir) -> RunResult:
    """One run of the chapter: the generator run or a classifier run (``spec["kind"]``)."""
    if spec.get("kind") == "generator":
        return execute_generator(spec, work_dir)
    if spec.get("kind") == "classifier":
        return execute_classifier(spec, work_dir)
    raise ValueError(f"spec kind {spec.get('kind')!r} is neither 'generator' nor 'classifier': {spec}")
