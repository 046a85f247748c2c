"""Bayesian and ensemble uncertainty: Bayes by Backprop (Blundell et al., 2015), MC dropout
(Gal & Ghahramani, 2016), deep ensembles (Lakshminarayanan et al., 2017) and the
entropy / mutual-information decomposition of their predictive."""
from .bayes_layer import BayesConv2d, BayesLayer, BayesLinear, set_sampling
from .conversion import convert_to_bayes
from .elbo import ELBOLoss, elbo_loss, model_kl
from .mc_dropout import enable_mc_dropout, insert_dropout
from .predictive import ensemble_predict, log_mean_predictive, mc_predict
from .uncertainty import entropy, expected_entropy, mutual_information, predictive_entropy

__all__ = [
    "BayesConv2d",
    "BayesLayer",
    "BayesLinear",
    "convert_to_bayes",
    "ELBOLoss",
    "elbo_loss",
    "enable_mc_dropout",
    "ensemble_predict",
    "entropy",
    "expected_entropy",
    "insert_dropout",
    "log_mean_predictive",
    "mc_predict",
    "model_kl",
    "mutual_information",
    "predictive_entropy",
    "set_sampling",
]
