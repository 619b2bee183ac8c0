"""The learning-cycle chapter's experiments, checked with numbers: the hand-made step equals PyTorch's."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from torch.utils.data import DataLoader, Sampler, TensorDataset

from core import data, learning_cycle as lc, training
from core.models import MLPSpec, build_mlp


class EpochShuffle(Sampler):
    """One torch.randperm per epoch from one seeded generator: the trainer's shuffling.

    (RandomSampler draws one extra, empty permutation at the end of every epoch, so its
    second epoch differs; the order protocol, not the maths, is what this pins down.)
    """

    def __init__(self, n: int, seed: int):
        self.n, self.generator = n, torch.Generator().manual_seed(seed)

    def __iter__(self):
        yield from torch.randperm(self.n, generator=self.generator).tolist()

    def __len__(self) -> int:
        return self.n


def _autograd_replay(cfg: lc.StepByStep):
    """The same steps with nn.Module, loss.backward() and torch.optim.SGD; returns the model, optimizer, batch."""
    ds = data.load(data.DataConfig(cfg.dataset, n_samples=cfg.n_samples, seed=cfg.seed))
    model = build_mlp(MLPSpec(2, (cfg.hidden,), 1, cfg.activation), torch.Generator().manual_seed(cfg.seed))
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
    dataset = TensorDataset(ds.x_train, ds.y_train)
    loader = DataLoader(dataset, batch_size=cfg.batch_size, drop_last=True,
                        sampler=EpochShuffle(len(dataset), cfg.seed))
    step = 0
    while True:
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(xb), yb.float().unsqueeze(1))
            loss.backward()
            if step == cfg.step:
                return model, opt, xb, yb, loss
            opt.step()
            step += 1


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("step", [0, 13])
def test_step_by_step_equals_autograd_and_sgd(activation, step):
    cfg = lc.StepByStep(activation=activation, step=step, hidden=3, batch_size=4, lr=0.5)
    rec = lc.step_by_step(cfg)
    model, opt, xb, yb, loss = _autograd_replay(cfg)
    first, last = model[0], model[2]
    assert np.array_equal(rec.x, xb.numpy()) and np.array_equal(rec.y, yb.numpy())
    close = lambda a, b: np.testing.assert_allclose(a, b.detach().numpy(), atol=1e-6)  # noqa: E731
    close(rec.params["W1"], first.weight.T)
    close(rec.params["b2"], last.bias)
    close(rec.forward["z1"], first(xb))
    close(rec.forward["p"], torch.sigmoid(model(xb)))
    assert rec.loss == pytest.approx(loss.item(), abs=1e-6)
    close(rec.grads["dW1"], first.weight.grad.T)
    close(rec.grads["db1"], first.bias.grad)
    close(rec.grads["dW2"], last.weight.grad.T)
    close(rec.grads["db2"], last.bias.grad)
    opt.step()
    close(rec.updated["W1"], first.weight.T)
    close(rec.updated["b1"], first.bias)
    close(rec.updated["W2"], last.weight.T)
    close(rec.updated["b2"], last.bias)


def test_step_by_step_update_is_w_minus_lr_grad_and_train_loss_falls():
    rec = lc.step_by_step(lc.StepByStep(step=60, lr=1.0))
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(rec.updated[name], rec.params[name] - 1.0 * rec.grads["d" + name], atol=1e-6)
    train = rec.losses[rec.losses.variant == "train loss (after it)"].set_index("step").loss
    assert len(train) == 61 and train.iloc[-1] < 0.8 * train.iloc[0]
    assert rec.epoch == 60 // (28 // 4) + 1  # 40 samples -> 28 train -> 7 full batches of 4 per epoch


def test_step_facts_are_the_numbers_of_the_step_and_its_losses():
    rec = lc.step_by_step(lc.StepByStep(step=3, hidden=2, batch_size=2))
    facts, train = rec.facts, rec.losses[rec.losses.variant == "train loss (after it)"].set_index("step").loss
    assert facts.grad_w1_00 == pytest.approx(rec.grads["dW1"][0, 0], abs=0)
    assert (facts.w1_00_before, facts.w1_00_after) == (rec.params["W1"][0, 0], rec.updated["W1"][0, 0])
    assert facts.train_loss_before == pytest.approx(train[2]) and facts.train_loss_after == pytest.approx(train[3])
    assert facts.loss_fell == (train[3] < train[2]) and facts.against_gradient
    moves = [np.abs(rec.updated[n] - rec.params[n]).max() for n in ("W1", "b1", "W2", "b2")]
    assert facts.largest_move == pytest.approx(max(moves), abs=1e-7)
    first = lc.step_by_step(lc.StepByStep(step=0, hidden=2, batch_size=2)).facts
    assert first.train_loss_before == first.start_loss == facts.start_loss  # the loss before any update
    assert first.loss_fell  # the walkthrough's claim: the first update lowers the train loss
    assert lc.step_by_step(lc.StepByStep(lr=3.0)).facts.largest_move > 0.1  # ... and at lr 3 moves a weight by > 0.1


def test_schedule_counts_and_falls_back_to_the_full_batch():
    plan = lc.schedule(lc.LiveRun(batch_size=32, epochs=20))
    assert (plan.n_train, plan.batch, plan.iterations_per_epoch, plan.iterations) == (210, 32, 7, 140)
    assert not plan.full_batch_fallback and plan.batch_size == 32
    assert len(plan.dataset.x_train) == 210 and len(plan.dataset.x_val) == 90  # the data the run trains on
    big = lc.schedule(lc.LiveRun(n_samples=50, batch_size=64, epochs=20))
    assert big.full_batch_fallback and big.batch_size is None and big.batch == big.n_train == 34
    assert (big.iterations_per_epoch, big.iterations) == (1, 20)
    over = lc.train_live(lc.LiveRun(batch_size=500, epochs=5))  # more than the 210 training samples
    assert over.schedule.full_batch_fallback and over.facts.batch == 210 and over.facts.iterations_per_epoch == 1


def test_train_live_trains_on_the_data_of_its_schedule():
    cfg = lc.LiveRun(epochs=5)
    plan = lc.schedule(cfg)
    result = lc.train_live(cfg, plan)
    assert result.schedule is plan and result.facts.n_train == plan.n_train
    assert result.points.shape[0] == len(plan.dataset.x_train) + len(plan.dataset.x_val)
    again = lc.train_live(cfg)  # without a schedule it loads the same data itself
    assert again.history.equals(result.history)


def test_live_facts_count_the_run_and_measure_the_batch_noise():
    result = lc.train_live(lc.LiveRun(batch_size=32, epochs=20))
    facts, its = result.facts, result.iterations
    assert (facts.n_train, facts.batch, facts.iterations_per_epoch, facts.iterations) == (210, 32, 7, 140)
    last = its[its.epoch == 20].loss
    assert facts.iteration_spread == pytest.approx(float(np.std(last)))
    train = result.history.query("split == 'train' and metric == 'loss'").set_index("epoch").value
    assert facts.epoch_change == pytest.approx(abs(train[20] - train[19]))
    assert facts.noisy_iterations  # a batch's loss swings far more than the per-epoch curve moves
    assert facts.val_accuracy == result.fit.final("accuracy")["model"]
    full = lc.train_live(lc.LiveRun(batch_size=None, epochs=20)).facts
    assert full.iteration_spread == 0.0 and not full.noisy_iterations and full.batch == 210


def test_inference_says_whether_the_point_is_near_the_boundary():
    fit = lc.train_live(lc.LiveRun()).fit
    near, far = (lc.infer(lc.Inference(lc.LiveRun(), x1, x2), fit).facts for x1, x2 in ((0.6, 0.1), (-1.0, 0.5)))
    p = training.predict(fit, "model", torch.tensor([[0.6, 0.1], [-1.0, 0.5]]))[:, 0]
    assert (near.p_class1, far.p_class1) == (pytest.approx(p[0]), pytest.approx(p[1]))
    assert near.p_class0 == pytest.approx(1 - near.p_class1)
    assert near.near_boundary and near.unsure and abs(near.p_class1 - 0.5) < 0.1  # the walkthrough's preset
    assert not far.near_boundary and not far.unsure and far.predicted_class == 0 and far.p_class1 < 0.01
    # an independent look: on a ring just inside the found distance every point keeps the far point's class
    angles = torch.linspace(0, 2 * np.pi, 720)
    r = far.boundary_distance - 0.03
    ring = torch.stack([-1.0 + r * torch.cos(angles), 0.5 + r * torch.sin(angles)], dim=1)
    assert (training.predict(fit, "model", ring)[:, 0] < 0.5).all()
    assert far.boundary_in_reach and lc.NEAR_BOUNDARY < far.boundary_distance <= lc.SEARCH_RADIUS


def test_train_live_learns_reports_progress_and_counts():
    fractions, parts = [], []
    result = lc.train_live(lc.LiveRun(), on_progress=lambda f, part: (fractions.append(f), parts.append(part)))
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 10
    assert all(isinstance(part, lc.LiveRunResult) and part.fit is None for part in parts)  # the result so far
    grids = [part.grid for part in parts]
    assert all(len(g) == lc.GRID**2 and g.p.between(0, 1).all() for g in grids)
    assert not grids[0].p.equals(grids[-1].p)  # the map changes while it trains
    acc = result.fit.final("accuracy")["model"]
    # "It separates the moons" means it does what no straight line can: it beats a logistic regression
    # fitted on the same training points and scored on the same validation points.
    ds = result.schedule.dataset
    line = LogisticRegression().fit(ds.x_train.numpy(), ds.y_train.numpy()).score(ds.x_val.numpy(), ds.y_val.numpy())
    assert acc > line
    assert result.confusion["count"].sum() == 90  # 30% of 300 samples
    correct = result.confusion.query("actual == predicted")["count"].sum()
    assert correct / 90 == pytest.approx(acc, abs=1e-6)
    assert result.fit.iterations_per_epoch == training.iterations_per_epoch(210, 10) == 21
    assert result.schedule.n_train == 210
    assert len(result.iterations) == 21 * 60


@pytest.mark.parametrize("cfg", [lc.LiveRun(), lc.LiveRun(n_samples=1000, epochs=300),
                                 lc.LiveRun(batch_size=None, epochs=300), lc.LiveRun(epochs=5)])
def test_a_live_run_reports_about_as_often_as_a_picture_can_redraw(cfg):
    # Every epoch while the run has at most LIVE_PLAY_S seconds of reports at LIVE_REPORTS_PER_S (180), else every
    # few: at most 180 reports, at least 90; the 30 reports a run had before did not animate a long run.
    every, limit = lc.report_every(cfg), lc.LIVE_PLAY_S * lc.LIVE_REPORTS_PER_S
    reports_made = math.ceil(cfg.epochs / every)
    assert every == 1 if cfg.epochs <= limit else limit / 2 <= reports_made <= limit
    assert lc.expected_seconds(cfg) >= lc.LIVE_OVERHEAD_S + reports_made / lc.LIVE_REPORTS_PER_S  # its play at least
    reports = []
    lc.train_live(cfg, on_progress=lambda f, part: reports.append(part.epoch)) if cfg.epochs <= 60 else None
    assert not reports or reports == [*range(every, cfg.epochs + 1, every)] + ([cfg.epochs] * (cfg.epochs % every > 0))


def test_train_live_divergence_is_reported_not_raised():
    result = lc.train_live(lc.LiveRun(lr=100.0, widths=(16, 16), activation="relu", epochs=20))
    assert result.fit.diverged == ("model",)
    assert "learning rate is too large" in result.fit.messages["model"]
    assert np.isfinite(result.history.value).all()


def test_fit_sizes_underfits_fits_and_overfits():
    parts = []
    result = lc.fit_sizes(lc.FitSizes(), on_progress=lambda _, part: parts.append(part))
    assert parts and all(isinstance(part, lc.FitSizesResult) and part.table is None for part in parts)
    t = result.table.set_index("variant")
    assert list(t.parameters) == [MLPSpec(2, w, 1).n_params for w in lc.SIZES.values()]
    assert t.loc["too small", "train accuracy"] < 0.8 < t.loc["good", "train accuracy"]  # a line cannot fit circles
    assert t.loc["too large", "train loss"] < t.loc["good", "train loss"] < t.loc["too small", "train loss"]
    assert t.loc["too large", "validation loss"] > t.loc["good", "validation loss"]  # overfits
    assert t.loc["too large", "best epoch (val loss)"] < 90  # then its validation loss rose
    assert set(result.grids.variant) == set(lc.SIZES) == set(result.maps)
    assert result.maps["good"].equals(result.grids[result.grids.variant == "good"].reset_index(drop=True))


def test_sizes_facts_read_the_curves_and_the_good_net_does_not_overfit_at_the_defaults():
    result = lc.fit_sizes(lc.FitSizes())
    facts, h = result.facts, result.history
    val = h[(h.split == "validation") & (h.metric == "loss")].pivot(index="epoch", columns="variant", values="value")
    t = result.table.set_index("variant")
    assert facts.good_val_loss == pytest.approx(t.loc["good", "validation loss"])
    assert facts.good_min_val_loss == val["good"].min() and facts.large_best_epoch == val["too large"].idxmin()
    assert facts.good_rise == pytest.approx(val["good"].iloc[-1] / val["good"].min())
    assert facts.small_train_acc == t.loc["too small", "train accuracy"] and facts.epochs == 180
    # The finding: at the old defaults the good net's validation loss rose after epoch ~188; now it holds.
    assert facts.good_rise <= lc.GOOD_RISE and facts.good_holds
    assert facts.small_underfits and facts.large_overfits and facts.large_rise > 1.5


def test_sizes_facts_see_a_good_net_that_overfits_when_it_trains_too_long():
    facts = lc.fit_sizes(lc.FitSizes(dataset="moons", n_samples=250, noise=0.2, train_fraction=0.3,
                                     widths=((1, 1), (4, 4), (64, 64)), epochs=300)).facts  # the old defaults
    assert not facts.good_holds and facts.good_rise > 1.3 and facts.good_best_epoch < 250


@pytest.mark.parametrize("make, message", [
    (lambda: lc.LiveRun(batch_size=0), "batch size must be at least 1"),
    (lambda: lc.schedule(lc.LiveRun(batch_size=1, n_samples=1000, epochs=300)), "210,000 weight updates"),
    (lambda: lc.LiveRun(lr=0.0), "learning rate"),
    (lambda: lc.LiveRun(activation="swish"), "Unknown activation"),
    (lambda: lc.LiveRun(dataset="digits"), "2-D dataset"),
    (lambda: lc.StepByStep(hidden=9), "hidden units"),
    (lambda: lc.Inference(x1=float("nan")), "two finite numbers"),
    (lambda: lc.StepByStep(step=10_000), "step number"),
    (lambda: lc.FitSizes(widths=((1,), (2, 2)), names=("a", "b")), "same number of hidden layers"),
    (lambda: lc.FitSizes(widths=((1,), (2,)), names=("a", "b")), "three network sizes"),
])
def test_bad_configs_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()
