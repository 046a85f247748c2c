"""Confusion rate, CR loss + callback, Pairwise Confusion, loss factory."""
import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from scipy.stats import entropy as scipy_entropy

from simaug.losses import (
    ConfusionRateCallback,
    CRLoss,
    PairwiseConfusionLoss,
    confusion_entropy,
    confusion_rate,
    create_loss,
    list_losses,
    pair_entropy,
)

# The paper's Fig. 4: ResNet18 on Animal-10N, rows = true, columns = predicted, in the
# figure's order cat, lynx, cheetah, jaguar, chimpanzee, orangutan, coyote, wolf, guinea pig, hamster.
FIG4 = torch.tensor([
    [1826, 495, 131, 251, 408, 223, 355, 676, 457, 644],
    [445, 1792, 212, 429, 93, 93, 693, 701, 48, 102],
    [134, 218, 3210, 755, 239, 30, 181, 138, 18, 58],
    [286, 386, 902, 2477, 102, 40, 428, 160, 41, 91],
    [181, 44, 93, 41, 4146, 306, 68, 251, 146, 46],
    [157, 50, 28, 24, 317, 3976, 89, 30, 162, 166],
    [407, 614, 108, 310, 189, 141, 1761, 1013, 130, 168],
    [505, 456, 105, 149, 327, 74, 929, 2171, 158, 217],
    [465, 31, 27, 29, 204, 242, 115, 162, 2332, 1202],
    [536, 50, 35, 78, 94, 216, 200, 229, 1016, 2516],
])
CHIMP, ORANG = 4, 5


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


# -- confusion rate ---------------------------------------------------------------------
def test_confusion_rate_paper_figure4():
    cr = confusion_rate(FIG4)
    assert cr[CHIMP, ORANG] == pytest.approx(306 / 623, abs=1e-6)  # ~0.49
    assert cr[ORANG, CHIMP] == pytest.approx(317 / 623, abs=1e-6)  # ~0.51
    assert round(float(cr[CHIMP, ORANG]), 2) == 0.49 and round(float(cr[ORANG, CHIMP]), 2) == 0.51
    assert torch.all(cr.diagonal() == 0)
    off = ~torch.eye(10, dtype=torch.bool)
    assert torch.allclose((cr + cr.T)[off], torch.ones(90))  # every pair of Fig. 4 has counts
    # the chimpanzee / orangutan pair is confused both ways almost equally: H close to 1 bit
    assert confusion_entropy(cr)[CHIMP, ORANG] > 0.999


def test_confusion_rate_matches_loop_reference_and_zero_pairs():
    cm = torch.randint(0, 5, (6, 6))
    cm[1, 3] = cm[3, 1] = 0  # a never-confused pair
    cm[2, 4], cm[4, 2] = 7, 0  # one-way confusion
    cr = confusion_rate(cm)
    for i in range(6):
        for j in range(6):
            s = int(cm[i, j] + cm[j, i])
            want = 0.0 if i == j or s == 0 else int(cm[i, j]) / s
            assert float(cr[i, j]) == pytest.approx(want, abs=1e-7)
    assert not torch.isnan(cr).any()
    assert cr[1, 3] == 0 and cr[3, 1] == 0
    assert cr[2, 4] == 1 and cr[4, 2] == 0
    assert confusion_entropy(cr)[2, 4] == 0  # one-way confusion is not mutual
    assert confusion_entropy(cr)[1, 3] == 0  # 0/0 pair: entropy 0, not NaN
    assert cr.dtype == torch.float32
    assert confusion_rate(cm.double()).dtype == torch.float64


def test_confusion_rate_rejects_bad_matrices():
    with pytest.raises(ValueError, match="square"):
        confusion_rate(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="negative"):
        confusion_rate(torch.tensor([[1, -1], [0, 1]]))
    with pytest.raises(ValueError, match="NaN"):
        confusion_rate(torch.tensor([[1.0, float("nan")], [0.0, 1.0]]))


def test_pair_entropy_against_scipy():
    a = torch.rand(50, dtype=torch.float64)
    h = pair_entropy(a, 1 - a)
    ref = torch.tensor([scipy_entropy([float(x), 1 - float(x)], base=2) for x in a], dtype=torch.float64)
    assert torch.allclose(h, ref, atol=1e-12)
    assert pair_entropy(torch.tensor(0.5), torch.tensor(0.5)) == 1.0
    assert pair_entropy(torch.tensor(0.2), torch.tensor(0.2)) == pytest.approx(1.0)  # normalised pair
    assert torch.allclose(pair_entropy(a, 1 - a), pair_entropy(1 - a, a))  # symmetric
    assert pair_entropy(torch.tensor(0.0), torch.tensor(0.0)) == 0  # never confused


# -- CR loss ----------------------------------------------------------------------------
def _cm_three():
    # class 0 and 1 confused both ways 6 / 2 times, 0 -> 2 only one way
    return torch.tensor([[10, 6, 3], [2, 10, 0], [0, 0, 10]])


def test_crloss_hand_computation():
    k = 3.0
    loss = CRLoss(num_classes=3, k=k, reduction="none")
    loss.update(_cm_three())
    logits = torch.tensor([
        [3.0, 1.0, 0.0],  # y=0, pred 0: correct -> plain CE
        [0.0, 2.0, 1.0],  # y=0, pred 1: CR01 = 6/8, CR10 = 2/8
        [2.0, 0.5, 0.0],  # y=1, pred 0: same pair, same entropy
        [0.0, 0.0, 4.0],  # y=0, pred 2: CR02 = 1, CR20 = 0 -> entropy 0 -> weight 1
    ])
    y = torch.tensor([0, 0, 1, 0])

    def ce(row, t):
        return math.log(sum(math.exp(v) for v in row)) - row[t]

    h01 = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))  # 0.8113 bits
    want = [
        ce([3.0, 1.0, 0.0], 0),
        ce([0.0, 2.0, 1.0], 0) * (1 + k * h01),
        ce([2.0, 0.5, 0.0], 1) * (1 + k * h01),
        ce([0.0, 0.0, 4.0], 0),
    ]
    got = loss(logits, y)
    assert torch.allclose(got, torch.tensor(want), atol=1e-5)
    assert torch.allclose(loss.weights(logits, y), torch.tensor([1, 1 + k * h01, 1 + k * h01, 1.0]), atol=1e-6)
    mean = CRLoss(num_classes=3, k=k)
    mean.load_state_dict(loss.state_dict())
    assert float(mean(logits, y)) == pytest.approx(sum(want) / 4, abs=1e-5)


def test_crloss_first_epoch_is_cross_entropy():
    logits, y = torch.randn(64, 5), torch.randint(0, 5, (64,))
    loss = CRLoss(num_classes=5)
    assert int(loss.updates) == 0
    assert torch.equal(CRLoss(5, reduction="none")(logits, y), F.cross_entropy(logits, y, reduction="none"))
    assert torch.allclose(loss(logits, y), F.cross_entropy(logits, y))
    # a diagonal CM (training converged, the paper's HanDB case): CR = 0, no correction
    loss.update(torch.diag(torch.tensor([10, 20, 30, 40, 50])))
    assert torch.all(loss.cr == 0) and int(loss.updates) == 1
    assert torch.allclose(loss(logits, y), F.cross_entropy(logits, y))


def test_crloss_gradient_is_weighted_ce_gradient_and_inputs_untouched():
    loss = CRLoss(num_classes=4, k=2.0)
    loss.update(torch.randint(0, 9, (4, 4)))
    logits = torch.randn(32, 4, requires_grad=True)
    y = torch.randint(0, 4, (32,))
    before = logits.detach().clone()
    loss(logits, y).backward()
    w = loss.weights(logits.detach(), y)
    analytic = (F.softmax(before, 1) - F.one_hot(y, 4).float()) * w[:, None] / 32  # d mean(w * CE) / d logits
    assert torch.allclose(logits.grad, analytic, atol=1e-6)
    assert torch.equal(logits.detach(), before)
    assert (w > 1).any() and (w == 1).any()  # the case exercises both branches


def test_crloss_state_dict_round_trip():
    a = CRLoss(num_classes=3)
    a.update(_cm_three())
    sd = a.state_dict()
    assert set(sd) == {"cr", "updates"}
    b = CRLoss(num_classes=3)
    b.load_state_dict(sd)
    assert torch.equal(b.cr, a.cr) and int(b.updates) == 1


def test_crloss_bad_input():
    with pytest.raises(ValueError, match="num_classes"):
        CRLoss(num_classes=1)
    with pytest.raises(ValueError, match="k must be"):
        CRLoss(num_classes=3, k=-1)
    with pytest.raises(ValueError, match="reduction"):
        CRLoss(num_classes=3, reduction="avg")
    loss = CRLoss(num_classes=3)
    with pytest.raises(ValueError, match="expected \\(3, 3\\)"):
        loss.update(torch.zeros(4, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="num_classes=3"):
        loss(torch.randn(2, 4), torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="integer"):
        loss(torch.randn(2, 3), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="do not match"):
        loss(torch.randn(2, 3), torch.tensor([0, 1, 2]))


# -- callback ---------------------------------------------------------------------------
def _samples_from_cm(cm):
    """One-hot logits and targets that reproduce the confusion matrix ``cm`` exactly."""
    k = cm.shape[0]
    pairs = [(i, j) for i in range(k) for j in range(k) for _ in range(int(cm[i, j]))]
    y = torch.tensor([p[0] for p in pairs])
    logits = F.one_hot(torch.tensor([p[1] for p in pairs]), k).float() * 5.0
    return logits, y


def test_callback_updates_records_and_matches_per_sample_weights():
    loss = CRLoss(num_classes=3, k=3.0)
    cb = ConfusionRateCallback(loss)
    trainer = SimpleNamespace(loss_fn=loss, train_cm=_cm_three())
    cb.on_fit_start(trainer)
    rec0 = {}
    cb.on_epoch_end(trainer, 0, rec0)
    assert rec0["cr_mean_weight"] == 1.0 and rec0["cr_weighted_frac"] == 0.0  # epoch 1: plain CE
    assert (rec0["cr_top_i"], rec0["cr_top_j"]) == (0, 1)
    assert rec0["cr_max_entropy"] == pytest.approx(-(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)))
    assert torch.equal(loss.cr, confusion_rate(_cm_three()))

    cm2 = torch.tensor([[9, 4, 2], [5, 11, 1], [0, 3, 12]])
    logits, y = _samples_from_cm(cm2)
    w = loss.weights(logits, y)  # what the loss applied during epoch 2, sample by sample
    trainer.train_cm = cm2
    rec1 = {}
    cb.on_epoch_end(trainer, 1, rec1)
    assert rec1["cr_mean_weight"] == pytest.approx(float(w.mean()), abs=1e-6)
    assert rec1["cr_weighted_frac"] == pytest.approx(float((w > 1).float().mean()))
    assert cb.epochs == [1, 2] and cb.cr_history().shape == (2, 3, 3)
    assert torch.allclose(cb.pair_history(0, 1)[:, 0], torch.tensor([6 / 8, 4 / 9]))

    fresh = ConfusionRateCallback(CRLoss(num_classes=3))
    fresh.load_state_dict(cb.state_dict())
    assert torch.equal(fresh.cr_history(), cb.cr_history()) and fresh.epochs == [1, 2]
    assert torch.equal(fresh.loss.cr, loss.cr) and int(fresh.loss.updates) == 2


def test_callback_breaks_entropy_ties_by_confusion_count():
    cm = torch.tensor([[50, 1, 0, 0], [1, 50, 0, 0], [0, 0, 50, 9], [0, 0, 9, 50]])  # two pairs with H = 1
    rec = {}
    ConfusionRateCallback(CRLoss(num_classes=4)).on_epoch_end(SimpleNamespace(train_cm=cm), 0, rec)
    assert rec["cr_max_entropy"] == 1.0 and (rec["cr_top_i"], rec["cr_top_j"]) == (2, 3)


def test_callback_reports_no_pair_when_converged_and_checks_loss():
    loss = CRLoss(num_classes=3)
    cb = ConfusionRateCallback(loss)
    rec = {}
    cb.on_epoch_end(SimpleNamespace(train_cm=torch.diag(torch.tensor([5, 5, 5]))), 0, rec)
    assert rec["cr_max_entropy"] == 0 and (rec["cr_top_i"], rec["cr_top_j"]) == (-1, -1)
    with pytest.raises(ValueError, match="different CRLoss"):
        cb.on_fit_start(SimpleNamespace(loss_fn=CRLoss(num_classes=3)))
    with pytest.raises(TypeError, match="CRLoss"):
        ConfusionRateCallback(torch.nn.CrossEntropyLoss())


def test_cr_training_loop_finds_the_confusable_pair():
    """A tiny training loop with the trainer's contract: the CM comes from the training
    forward passes. Classes 0 and 1 overlap, class 2 is far away: the top pair is (0, 1)."""
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [0.4, 0.0], [6.0, 6.0]])
    y = torch.arange(3).repeat(200)
    x = centres[y] + torch.randn(600, 2, generator=g)
    model = torch.nn.Linear(2, 3)
    loss = CRLoss(num_classes=3, k=3.0)
    cb = ConfusionRateCallback(loss)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    records = []
    for epoch in range(3):
        cm = torch.zeros(3, 3, dtype=torch.long)
        for idx in torch.randperm(600, generator=g).split(64):
            logits = model(x[idx])
            out = loss(logits, y[idx])
            opt.zero_grad()
            out.backward()
            opt.step()
            cm += torch.bincount(y[idx] * 3 + logits.argmax(1), minlength=9).reshape(3, 3)
        rec = {}
        cb.on_epoch_end(SimpleNamespace(train_cm=cm, loss_fn=loss), epoch, rec)
        records.append(rec)
    # epoch 1 starts from a random init and still mixes class 2 in; from epoch 2 on the
    # only mutual confusion left is the overlapping pair
    assert all((r["cr_top_i"], r["cr_top_j"]) == (0, 1) for r in records[1:])
    assert records[-1]["cr_max_entropy"] > 0.9
    assert records[1]["cr_mean_weight"] > 1.0 and int(loss.updates) == 3


# -- Pairwise Confusion -----------------------------------------------------------------
def test_pairwise_confusion_closed_case():
    p = torch.tensor([[0.5, 0.5], [0.8, 0.2], [0.2, 0.8]], dtype=torch.float64)
    logits, y = p.log(), torch.tensor([0, 0, 1])  # softmax(log p) = p
    d02, d12 = math.sqrt(0.3**2 * 2), math.sqrt(0.6**2 * 2)  # the two different-label pairs
    ce = -(math.log(0.5) + math.log(0.8) + math.log(0.8)) / 3
    pc = PairwiseConfusionLoss(lam=2.0)
    assert float(pc(logits, y)) == pytest.approx(ce + 2.0 * (d02 + d12) / 2, abs=1e-9)
    sq = PairwiseConfusionLoss(lam=2.0, squared=True)
    assert float(sq(logits, y)) == pytest.approx(ce + 2.0 * (d02**2 + d12**2) / 2, abs=1e-9)


def test_pairwise_confusion_matches_loop_reference():
    logits, y = torch.randn(9, 4, dtype=torch.float64), torch.randint(0, 3, (9,))
    p = F.softmax(logits, 1)
    d = [float((p[i] - p[j]).norm()) for i in range(9) for j in range(i + 1, 9) if y[i] != y[j]]
    assert float(PairwiseConfusionLoss(1.0).confusion(logits, y)) == pytest.approx(sum(d) / len(d), abs=1e-12)
    # halves on an odd batch: pairs (i, i + 4) for i < 4, the last sample is left out
    dh = [float((p[i] - p[i + 4]).norm()) for i in range(4) if y[i] != y[i + 4]]
    got = float(PairwiseConfusionLoss(1.0, pairing="halves").confusion(logits, y))
    assert got == pytest.approx(sum(dh) / len(dh) if dh else 0.0, abs=1e-12)


def test_pairwise_confusion_degenerate_batches_have_finite_gradients():
    pc = PairwiseConfusionLoss(lam=5.0)
    same = torch.randn(4, 3, requires_grad=True)
    y_same = torch.zeros(4, dtype=torch.long)
    out = pc(same, y_same)
    assert float(out.detach()) == pytest.approx(float(F.cross_entropy(same.detach(), y_same)))  # no valid pair
    out.backward()
    assert torch.isfinite(same.grad).all()
    tied = torch.zeros(3, 3, requires_grad=True)  # identical outputs, different labels: distance 0
    pc(tied, torch.tensor([0, 1, 2])).backward()
    assert torch.isfinite(tied.grad).all()
    one = PairwiseConfusionLoss(lam=1.0)(torch.randn(1, 3), torch.tensor([2]))  # a batch of one
    assert torch.isfinite(one)
    with pytest.raises(ValueError, match="pairing"):
        PairwiseConfusionLoss(lam=1.0, pairing="roll")
    with pytest.raises(ValueError, match="lam"):
        PairwiseConfusionLoss(lam=-1.0)


# -- factory ----------------------------------------------------------------------------
def test_factory_names_and_errors():
    assert list_losses() == ["cr", "cross_entropy", "pairwise_confusion"]
    assert isinstance(create_loss("cr", num_classes=10, k=3.0), CRLoss)
    with pytest.raises(TypeError, match="accepts"):
        create_loss("cr", num_classes=10, kk=3)
    with pytest.raises(KeyError, match="Did you mean"):
        create_loss("pairwise_confusio", lam=1.0)


@pytest.mark.parametrize("name", list_losses())
def test_every_loss_is_a_finite_differentiable_scalar(name):
    kw = {"lam": 1.0} if name == "pairwise_confusion" else {}
    loss = create_loss(name, num_classes=5, **kw)
    logits = torch.randn(16, 5, requires_grad=True)
    y = torch.randint(0, 5, (16,))
    out = loss(logits, y)
    assert out.ndim == 0 and torch.isfinite(out)
    out.backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="num_classes=5"):
        loss(torch.randn(2, 6), torch.tensor([0, 1]))
