"""The learning-cycle chapter's experiments, checked with numbers: the hand-made step equals PyTorch's."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
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


def test_train_live_learns_reports_progress_and_counts():
    fractions, grids = [], []
    result = lc.train_live(lc.LiveRun(), lambda f, part: (fractions.append(f), grids.append(part.grid)))
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 10
    assert all(len(g) == lc.GRID**2 and g.p.between(0, 1).all() for g in grids)
    assert not grids[0].p.equals(grids[-1].p)  # the map changes while it trains
    acc = result.fit.final("accuracy")["model"]
    assert acc > 0.9
    assert result.confusion["count"].sum() == 90  # 30% of 300 samples
    correct = result.confusion.query("actual == predicted")["count"].sum()
    assert correct / 90 == pytest.approx(acc, abs=1e-6)
    assert result.fit.iterations_per_epoch == training.iterations_per_epoch(210, 10) == 21
    assert lc.train_count("moons", 300, 0.2) == 210
    assert len(result.iterations) == 21 * 60


def test_train_live_divergence_is_reported_not_raised():
    result = lc.train_live(lc.LiveRun(lr=100.0, widths=(16, 16), activation="relu", epochs=20))
    assert result.fit.diverged == ("model",)
    assert "learning rate is too large" in result.fit.messages["model"]
    assert np.isfinite(result.history.value).all()


def test_fit_sizes_underfits_and_overfits():
    result = lc.fit_sizes(lc.FitSizes())
    t = result.table.set_index("variant")
    assert list(t.parameters) == [MLPSpec(2, w, 1).n_params for w in lc.SIZES.values()]
    assert t.loc["too small", "train accuracy"] < 0.93  # underfits: wrong on its own training data
    assert t.loc["too large", "train loss"] < t.loc["good", "train loss"] < t.loc["too small", "train loss"]
    assert t.loc["too large", "validation loss"] > t.loc["good", "validation loss"]  # overfits
    assert t.loc["too large", "best epoch (val loss)"] < 150  # then its validation loss rose
    assert set(result.grids.variant) == set(lc.SIZES)


@pytest.mark.parametrize("make, message", [
    (lambda: lc.LiveRun(batch_size=500), "number of training samples (210)"),
    (lambda: lc.LiveRun(batch_size=1, n_samples=1000, epochs=300), "210,000 weight updates"),
    (lambda: lc.LiveRun(lr=0.0), "learning rate"),
    (lambda: lc.LiveRun(activation="swish"), "Unknown activation"),
    (lambda: lc.LiveRun(dataset="digits"), "2-D dataset"),
    (lambda: lc.StepByStep(hidden=9), "hidden units"),
    (lambda: lc.StepByStep(step=10_000), "step number"),
    (lambda: lc.FitSizes(widths=((1,), (2, 2)), names=("a", "b")), "same number of hidden layers"),
])
def test_bad_configs_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()
