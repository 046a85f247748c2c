"""Bayes-by-Backprop layers, ELBO, MC dropout, ensembles and the entropy decomposition."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal, kl_divergence

from simaug.bayes import (
    BayesConv2d,
    BayesLinear,
    ELBOLoss,
    convert_to_bayes,
    elbo_loss,
    enable_mc_dropout,
    ensemble_predict,
    expected_entropy,
    insert_dropout,
    mc_predict,
    model_kl,
    mutual_information,
    predictive_entropy,
    set_sampling,
)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def small_cnn():
    """SPEC §04 shape family, shrunk: conv-pool-conv-flatten-dense-dense, valid padding."""
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Flatten(),
        nn.Linear(8 * 4 * 4, 16), nn.ReLU(), nn.Linear(16, 10),
    )


def randomise_posterior(layer):
    with torch.no_grad():
        layer.weight_mu.normal_(0, 0.5)
        layer.weight_rho.uniform_(-3, 1)
        layer.bias_mu.normal_(0, 0.5)
        layer.bias_rho.uniform_(-3, 1)


@pytest.mark.parametrize("prior_sigma", [0.1, 1.0, 3.0])
@pytest.mark.parametrize("make", [lambda p: BayesLinear(5, 3, prior_sigma=p),
                                  lambda p: BayesConv2d(2, 3, 3, prior_sigma=p)])
def test_kl_matches_torch_distributions(make, prior_sigma):
    layer = make(prior_sigma)
    randomise_posterior(layer)
    expected = sum(
        kl_divergence(Normal(mu, F.softplus(rho)), Normal(torch.zeros_like(mu), prior_sigma)).sum()
        for mu, rho in [(layer.weight_mu, layer.weight_rho), (layer.bias_mu, layer.bias_rho)]
    )
    assert torch.allclose(layer.kl_divergence(), expected, rtol=1e-5)
    # zero when the posterior equals the prior
    with torch.no_grad():
        layer.weight_mu.zero_(); layer.bias_mu.zero_()
        rho = math.log(math.expm1(prior_sigma))  # softplus^-1(prior_sigma)
        layer.weight_rho.fill_(rho); layer.bias_rho.fill_(rho)
    assert abs(layer.kl_divergence().item()) < 1e-4


def test_model_kl_sums_layers_and_rejects_plain_models():
    net = nn.Sequential(BayesConv2d(3, 2, 3), nn.Flatten(), BayesLinear(2 * 2 * 2, 4))
    assert torch.allclose(model_kl(net), net[0].kl_divergence() + net[2].kl_divergence())
    with pytest.raises(ValueError, match="convert_to_bayes"):
        model_kl(nn.Linear(2, 2))


def test_sampling_reparameterisation_and_gradients():
    layer = BayesLinear(4, 3, rho_init=-1.0)
    x = torch.randn(6, 4)
    a, b = layer(x), layer(x)
    assert not torch.allclose(a, b)  # a new weight sample per forward pass
    set_sampling(layer, False)
    assert torch.equal(layer(x), F.linear(x, layer.weight_mu, layer.bias_mu))
    set_sampling(layer, True)
    loss = layer(x).pow(2).sum() + layer.kl_divergence()
    loss.backward()
    for p in (layer.weight_mu, layer.weight_rho, layer.bias_mu, layer.bias_rho):
        assert p.grad is not None and p.grad.abs().sum() > 0


@pytest.mark.parametrize("local", [False, True])
def test_output_moments_match_closed_form(local):
    # y = x W^T + b with independent Gaussian weights: E y = x mu^T + b_mu, Var y = x^2 s^2^T + s_b^2
    layer = BayesLinear(3, 2, rho_init=-0.5, local_reparam=local)
    x = torch.tensor([[1.0, -2.0, 0.5]])
    with torch.no_grad():
        ys = torch.cat([layer(x) for _ in range(3000)])  # one independent draw per pass, (3000, 2)
        mean = F.linear(x, layer.weight_mu, layer.bias_mu)[0]
        var = F.linear(x**2, layer.weight_sigma**2, layer.bias_sigma**2)[0]
        pair = layer(x.expand(2, 3))  # two identical rows in one pass
    assert ((ys.mean(0) - mean).abs() < 4 * (var / 3000).sqrt()).all()
    assert torch.allclose(ys.var(0), var, rtol=0.1)
    # weight sampling shares one draw across the batch; local reparameterisation does not
    assert torch.equal(pair[0], pair[1]) != local


def test_conv_local_reparam_matches_conv_moments():
    layer = BayesConv2d(2, 2, 3, padding=1, rho_init=-1.0, local_reparam=True)
    x = torch.randn(1, 2, 5, 5)
    with torch.no_grad():
        ys = torch.cat([layer(x.expand(400, -1, -1, -1)) for _ in range(5)])  # (2000, 2, 5, 5)
        mean = F.conv2d(x, layer.weight_mu, layer.bias_mu, padding=1)[0]
        var = F.conv2d(x**2, layer.weight_sigma**2, layer.bias_sigma**2, padding=1)[0]
    assert (ys.mean(0) - mean).abs().max() < 5 * (var.max() / 2000) ** 0.5
    assert torch.allclose(ys.var(0), var, rtol=0.15)


def test_convert_to_bayes_keeps_function_and_leaves_original():
    net = small_cnn().eval()
    bnet = convert_to_bayes(net, prior_sigma=0.5, local_reparam=True)
    assert isinstance(net[0], nn.Conv2d) and isinstance(bnet[0], BayesConv2d)
    assert sum(isinstance(m, (BayesConv2d, BayesLinear)) for m in bnet.modules()) == 4
    x = torch.rand(3, 3, 14, 14)
    set_sampling(bnet, False)
    with torch.no_grad():
        assert torch.allclose(bnet(x), net(x), atol=1e-6)  # posterior means = original weights
    set_sampling(bnet, True)
    with torch.no_grad():
        assert not torch.allclose(bnet(x), net(x), atol=1e-6)
    assert isinstance(convert_to_bayes(nn.Linear(2, 3)), BayesLinear)
    with pytest.raises(ValueError, match="no nn.Linear"):
        convert_to_bayes(nn.ReLU())


def test_elbo_loss_definition_and_loss_module():
    net = convert_to_bayes(small_cnn())
    x, y = torch.rand(4, 3, 14, 14), torch.randint(0, 10, (4,))
    logits = net(x)
    kl = model_kl(net)
    expected = F.cross_entropy(logits, y) + 0.3 * kl / 1000
    assert torch.allclose(elbo_loss(logits, y, kl, 1000, kl_weight=0.3), expected)
    assert torch.allclose(ELBOLoss(net, 1000, 0.3)(logits, y), expected)
    assert len(list(ELBOLoss(net, 10).parameters())) == 0
    with pytest.raises(ValueError, match="n_train"):
        elbo_loss(logits, y, kl, 0)


def test_bayes_net_learns_a_toy_problem():
    x = torch.randn(256, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()  # XOR quadrants
    net = nn.Sequential(BayesLinear(2, 32, local_reparam=True), nn.ReLU(), BayesLinear(32, 2, local_reparam=True))
    loss_fn = ELBOLoss(net, n_train=256)
    opt = torch.optim.Adam(net.parameters(), lr=0.03)
    first = loss_fn(net(x), y).item()
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
    probs = mc_predict(net, x, n_samples=10, seed=0).mean(0)
    assert loss.item() < first and (probs.argmax(1) == y).float().mean() > 0.9


def test_mc_predict_shapes_seed_and_mode_restoration():
    net = convert_to_bayes(nn.Sequential(small_cnn(), nn.BatchNorm1d(10)))
    net.train()
    x = torch.randint(0, 256, (7, 3, 14, 14), dtype=torch.uint8)
    p = mc_predict(net, x, n_samples=4, batch_size=3, seed=1)
    assert p.shape == (4, 7, 10) and torch.allclose(p.sum(-1), torch.ones(4, 7))
    assert torch.equal(p, mc_predict(net, x, n_samples=4, batch_size=3, seed=1))
    assert not torch.allclose(p[0], p[1])
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="identical"):
        mc_predict(small_cnn(), x, 3)
    with pytest.raises(ValueError, match="n_samples"):
        mc_predict(net, x, 0)


def test_mc_dropout_keeps_batchnorm_in_eval():
    net = insert_dropout(nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)), p=0.5)
    assert isinstance(net[1], nn.Sequential) and isinstance(net[1][0], nn.Dropout)
    assert sum(isinstance(m, nn.Dropout) for m in net.modules()) == 2
    enable_mc_dropout(net)
    assert not net[2].training and net[1][0].training
    x = torch.rand(5, 3, 2, 2)
    net.train()
    p = mc_predict(net, x, n_samples=6, seed=0)
    assert p.shape == (6, 5, 3) and not torch.allclose(p[0], p[1])
    assert net.training and net[2].training  # restored
    # with dropout switched off every sample equals the eval-mode prediction
    with pytest.raises(ValueError):
        mc_predict(net, x, 3, mc_dropout=False)
    with pytest.raises(ValueError, match="no dropout"):
        enable_mc_dropout(nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        insert_dropout(net, p=1.0)


def test_ensemble_predict_is_stacked_eval_softmax():
    models = [small_cnn() for _ in range(3)]
    x = torch.rand(4, 3, 14, 14)
    p = ensemble_predict(models, x)
    with torch.no_grad():
        expected = torch.stack([torch.softmax(m.eval()(x), -1) for m in models])
    assert p.shape == (3, 4, 10) and torch.allclose(p, expected, atol=1e-6)
    with pytest.raises(TypeError):
        ensemble_predict(models[0], x)


def test_entropy_decomposition_closed_forms_and_reference():
    disagree = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])  # two confident, opposite samples
    assert torch.allclose(predictive_entropy(disagree), torch.tensor([math.log(2)]))
    assert torch.allclose(expected_entropy(disagree), torch.tensor([0.0]))
    assert torch.allclose(mutual_information(disagree), torch.tensor([math.log(2)]))
    agree = torch.tensor([[0.3, 0.7]]).expand(5, 1, 2)  # identical samples: no epistemic part
    assert torch.allclose(mutual_information(agree), torch.zeros(1), atol=1e-7)
    # random Dirichlet samples against numpy
    probs = torch.distributions.Dirichlet(torch.ones(6)).sample((8, 20))  # (S, B, K)
    p = probs.double().numpy()
    mean = p.mean(0)
    h_mean = -(mean * np.log(mean)).sum(-1)
    mean_h = -(p * np.log(p)).sum(-1).mean(0)
    assert np.allclose(predictive_entropy(probs).numpy(), h_mean, atol=1e-5)
    assert np.allclose(mutual_information(probs).numpy(), h_mean - mean_h, atol=1e-5)
    assert (mutual_information(probs) >= 0).all() and (predictive_entropy(probs) <= math.log(6) + 1e-6).all()
    assert torch.allclose(predictive_entropy(probs[0]), predictive_entropy(probs[:1]))
    with pytest.raises(ValueError):
        predictive_entropy(torch.rand(2, 2, 2, 2))


def test_log_mean_predictive_is_the_log_of_the_sample_mean():
    from simaug.bayes import log_mean_predictive

    p = torch.softmax(torch.randn(4, 6, 3), -1)  # (S, N, K)
    out = log_mean_predictive(p)
    assert torch.allclose(out.exp(), p.mean(0), atol=1e-6)
    assert torch.allclose(log_mean_predictive(p[0]).exp(), p[0], atol=1e-6)  # (N, K) passes through
    assert float(log_mean_predictive(torch.tensor([[1.0, 0.0]]))[0, 1]) == pytest.approx(math.log(1e-12))
    with pytest.raises(ValueError):
        log_mean_predictive(torch.rand(3))
