"""Unit tests of core.training: the one training loop learns, its engines agree, it equals a textbook
PyTorch loop, K variants equal K runs, divergence and early stopping behave, schedules match torch's, errors."""
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from core import activations, compiled, data, engines, training
from core.data import DataConfig
from core.models import MLPSpec, build_mlp
from core.training import TrainConfig, Variant, fit, fit_many, lr_table

TOL = {"atol": 1e-5, "rtol": 0}
HISTORY_COLUMNS = ["variant", "epoch", "split", "metric", "value"]
ITERATION_COLUMNS = ["variant", "iteration", "epoch", "lr", "loss"]


@pytest.fixture(scope="module")
def moons():
    return data.load(DataConfig("moons", n_samples=200, noise=0.2, seed=0))  # 140 train, 60 validation


@pytest.fixture(scope="module")
def small_moons():
    return data.load(DataConfig("moons", n_samples=60, noise=0.2, seed=0))  # 42 train: batch_size=1 stays cheap


@pytest.fixture(scope="module")
def curve():
    return data.load(DataConfig("curve", n_samples=100, seed=0))


@pytest.fixture(autouse=True)
def _float32_default():
    assert torch.get_default_dtype() == torch.float32  # another test leaked a global dtype change
    yield
    assert torch.get_default_dtype() == torch.float32


def _curves(result: training.FitResult) -> pd.DataFrame:
    return result.history.sort_values(["variant", "epoch", "split", "metric"]).reset_index(drop=True)


def _assert_same_run(a: training.FitResult, b: training.FitResult, name: str | None = None):
    """Same curves (to 1e-5) and final weights; with `name`, only that variant of `a` against the lone run `b`."""
    ha, hb = _curves(a), _curves(b)
    if name is not None:
        ha = ha[ha.variant == name].reset_index(drop=True)
    pd.testing.assert_frame_equal(ha.drop(columns="value"), hb.drop(columns="value"))
    np.testing.assert_allclose(ha.value, hb.value, **TOL)
    for variant in b.states:
        assert a.states[variant].keys() == b.states[variant].keys()
        for key in b.states[variant]:
            np.testing.assert_allclose(a.states[variant][key], b.states[variant][key], **TOL)


def _val_loss(result: training.FitResult, variant: str = "model") -> pd.Series:
    h = result.history
    rows = h[(h.variant == variant) & (h.split == "validation") & (h.metric == "loss")]
    return rows.set_index("epoch").value


def _linear_baseline(ds) -> float:
    """The validation accuracy of the best straight line (logistic regression) on the same split."""
    from sklearn.linear_model import LogisticRegression
    line = LogisticRegression().fit(ds.x_train, ds.y_train.ravel())
    return float(line.score(ds.x_val, ds.y_val.ravel()))


def test_loss_falls_and_moons_get_separated(moons):
    result = fit(MLPSpec(2, (16, 16), 1, "relu"), moons, TrainConfig(epochs=60, lr=0.1, momentum=0.9, batch_size=32))
    val = _val_loss(result)
    assert val[60] < 0.5 * val[0]
    # "Separated" means better than any straight line: beat logistic regression on the same split.
    accuracy = result.final("accuracy")["model"]
    assert accuracy > _linear_baseline(moons) + 0.05
    assert result.loss == "bce" and result.diverged == () and result.messages == {}
    assert result.last_epoch == result.best_epoch == {"model": 60}


ENGINE_CASES = {
    "sgd": dict(optimizer="sgd", lr=0.1),
    "sgd-momentum": dict(optimizer="sgd", lr=0.03, momentum=0.9),
    "sgd-nesterov-decay": dict(optimizer="sgd", lr=0.03, momentum=0.9, weight_decay=0.01,
                               optimizer_kwargs=(("nesterov", True),)),
    "sgd-steplr": dict(optimizer="sgd", lr=0.1, scheduler="StepLR",
                       scheduler_kwargs=(("step_size", 5), ("gamma", 0.5))),
    "adam": dict(optimizer="adam", lr=0.01),
    "adamw": dict(optimizer="adamw", lr=0.01, weight_decay=0.1),
}


@pytest.mark.parametrize("engine", ["manual", "compiled"])
@pytest.mark.parametrize("batch_size", [None, 1, 32])
@pytest.mark.parametrize("case", ENGINE_CASES)
def test_hand_written_engines_equal_autograd_engine(small_moons, case, batch_size, engine):
    spec = MLPSpec(2, (16, 16), 1, "tanh")
    manual = fit(spec, small_moons, TrainConfig(epochs=4, batch_size=batch_size, engine=engine, **ENGINE_CASES[case]))
    auto = fit(spec, small_moons, TrainConfig(epochs=4, batch_size=batch_size, engine="autograd", **ENGINE_CASES[case]))
    _assert_same_run(manual, auto)
    np.testing.assert_allclose(manual.iterations.loss, auto.iterations.loss, **TOL)
    assert _val_loss(manual)[4] != _val_loss(manual)[0]  # it did train


@pytest.mark.parametrize(
    "name, spec",
    [("digits", MLPSpec(64, (16,), 10, "relu")), ("curve", MLPSpec(1, (16, 16), 1, "tanh"))],
)
def test_engines_agree_on_cross_entropy_and_mse(name, spec):
    ds = data.load(DataConfig(name, n_samples=100, seed=0))
    train = dict(epochs=3, batch_size=64, optimizer="adam", lr=0.01)
    auto = fit(spec, ds, TrainConfig(engine="autograd", **train))
    for engine in ("manual", "compiled"):
        manual = fit(spec, ds, TrainConfig(engine=engine, **train))
        assert manual.loss == auto.loss == ("cross_entropy" if name == "digits" else "mse")
        _assert_same_run(manual, auto)
        assert set(manual.history.metric) == ({"loss", "accuracy"} if name == "digits" else {"loss"})


@pytest.mark.parametrize("activation", activations.ACTIVATIONS)
def test_compiled_engine_equals_eager_engine_for_every_activation(small_moons, activation):
    """K = 2 variants of different widths (the narrow one padded) and learning rates: the compiled epoch's numbers
    are the eager engine's to rounding, per step and per epoch."""
    variants = [Variant("wide", MLPSpec(2, (12, 6), 1, activation), TrainConfig(epochs=5, batch_size=16, lr=0.1)),
                Variant("narrow", MLPSpec(2, (5, 3), 1, activation), TrainConfig(epochs=5, batch_size=16, lr=0.3))]
    runs = {engine: fit_many([replace(v, train=replace(v.train, engine=engine)) for v in variants], small_moons)
            for engine in ("manual", "compiled")}
    _assert_same_run(runs["compiled"], runs["manual"])
    np.testing.assert_allclose(runs["compiled"].iterations.loss, runs["manual"].iterations.loss, **TOL)
    assert runs["compiled"].states["narrow"]["0.weight"].shape == (5, 2)


def test_auto_engine_compiles_small_nets_on_the_cpu(small_moons):
    cpu = torch.device("cpu")
    small, large = Variant("s", MLPSpec(2, (16, 16), 1)), Variant("l", MLPSpec(2, (64, 64), 1))
    assert isinstance(engines.make_engine([small], "bce", cpu, batch=10), engines.CompiledEngine)  # 337 params
    assert compiled.MAX_WORK < 32 * (2 * 64 + 64 + 64 * 64 + 64 + 65)  # a step of real arithmetic: BLAS products
    assert type(engines.make_engine([large], "bce", cpu, batch=32)) is engines.ManualEngine
    assert type(engines.make_engine([small], "bce", cpu, batch=1000)) is engines.ManualEngine
    assert type(engines.make_engine([small] * 16, "bce", cpu, batch=10)) is engines.ManualEngine  # 16 x 3,370
    wanted = engines.make_engine([replace(large, train=TrainConfig(engine="compiled"))], "bce", cpu, batch=32)
    assert isinstance(wanted, engines.CompiledEngine)
    with pytest.raises(ValueError, match="hand-written engine covers plain MLPs"):
        fit(MLPSpec(2, (4,), 1, dropout=0.5), small_moons, TrainConfig(engine="compiled"))


def test_trainer_equals_a_textbook_pytorch_loop(moons):
    """The documented equivalence: shuffling with a torch.Generator seeded with the seed, as a DataLoader's sampler."""
    spec, seed, epochs = MLPSpec(2, (16, 16), 1, "relu"), 3, 3
    model = build_mlp(spec, torch.Generator().manual_seed(seed))
    ds = TensorDataset(moons.x_train, moons.y_train)
    loader = DataLoader(ds, batch_size=32, sampler=RandomSampler(ds, generator=torch.Generator().manual_seed(seed)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def bce(x, y):
        return F.binary_cross_entropy_with_logits(model(x), y.float().unsqueeze(1))

    expected = []
    for epoch in range(epochs + 1):
        if epoch:
            for xb, yb in loader:
                optimizer.zero_grad()
                bce(xb, yb).backward()
                optimizer.step()
        with torch.no_grad():
            expected += [(epoch, "train", bce(moons.x_train, moons.y_train).item()),
                         (epoch, "validation", bce(moons.x_val, moons.y_val).item())]
    result = fit(spec, moons, TrainConfig(epochs=epochs, lr=0.1, batch_size=32, seed=seed))
    h = result.history[result.history.metric == "loss"].sort_values(["epoch", "split"])
    assert list(zip(h.epoch, h.split)) == [(e, s) for e, s, _ in expected]
    np.testing.assert_allclose(h.value, [v for _, _, v in expected], **TOL)
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(result.states["model"][key], value.numpy(), **TOL)


@pytest.mark.parametrize(
    "dataset, spec",
    [("moons", MLPSpec(2, (32, 32), 1, "relu", init="normal")), ("curve", MLPSpec(1, (16,), 1, "tanh"))],
)
def test_divergence_is_reported_not_raised(dataset, spec):
    ds = data.load(DataConfig(dataset, n_samples=100, seed=0))
    result = fit(spec, ds, TrainConfig(epochs=10, lr=100, batch_size=None))
    assert result.diverged == ("model",)
    message = result.messages["model"]
    assert "epoch" in message and "learning rate is too large" in message
    assert f"epoch {result.last_epoch['model'] + 1}" in message
    assert result.last_epoch["model"] < 10
    assert len(result.history) and np.isfinite(result.history.value).all()
    assert result.history.epoch.max() <= result.last_epoch["model"] + 1  # the epoch it blew up, where finite
    assert len(result.iterations) == result.last_epoch["model"] * result.iterations_per_epoch


def test_first_nonfinite_names_each_label_with_the_first_step_it_overflowed():
    frame = pd.DataFrame({"net": ["a", "a", "a", "b", "b", "c", "c"], "epoch": [0, 1, 2, 0, 1, 0, 1],
                          "x": [1.0, 2.0, math.inf, 1.0, 3.0, 1.0, 1.0],
                          "y": [1.0, math.nan, 1.0, -math.inf, 1.0, 1.0, 1e30]})
    assert training.first_nonfinite(frame, "net", "epoch", ["x", "y"]) == {"b": 0, "a": 1}  # earliest first
    assert training.first_nonfinite(frame, "net", "epoch", ["x"]) == {"a": 2}
    assert training.first_nonfinite(frame[frame.net == "c"], "net", "epoch", ["x", "y"]) == {}
    message = training.overflow_message("gradient norms", "epoch", 3, "pick a smaller learning rate")
    assert message == ("The gradient norms overflowed to infinity or NaN at epoch 3: pick a smaller learning "
                       "rate. The charts leave those values out.")


def test_a_diverged_variant_has_no_curve_after_it_diverged(curve):
    """fit_many must give each variant the curve its own fit gives: nothing after the epoch it blew up."""
    spec = MLPSpec(1, (16,), 1, "tanh")
    variants = [Variant("lr=100", spec, TrainConfig(epochs=6, lr=100, batch_size=None)),
                Variant("lr=0.1", spec, TrainConfig(epochs=6, lr=0.1, batch_size=None))]
    result = fit_many(variants, curve)
    assert result.diverged == ("lr=100",) and "lr=0.1" not in result.messages
    assert result.last_epoch["lr=100"] < 6 and result.last_epoch["lr=0.1"] == 6
    assert len(result.history) and np.isfinite(result.history.value).all()
    last = result.history.groupby("variant").epoch.max()
    assert last["lr=0.1"] == 6 and last["lr=100"] <= result.last_epoch["lr=100"] + 1  # then nothing more
    _assert_same_run(result, fit(spec, curve, variants[1].train, name="lr=0.1"), "lr=0.1")


@pytest.mark.parametrize(
    "dataset, spec, lr",
    [("moons", MLPSpec(2, (16, 16), 1, "tanh"), 30), ("curve", MLPSpec(1, (16,), 1, "tanh"), 100)],
)
def test_a_diverged_run_draws_its_loss_shooting_up(dataset, spec, lr):
    """The epoch a run blew up at stays in its history (where finite): a line from the start up to it."""
    ds = data.load(DataConfig(dataset, n_samples=100, seed=0))
    result = fit(spec, ds, TrainConfig(epochs=10, lr=lr, batch_size=None))
    assert result.diverged == ("model",)
    loss = result.history[result.history.metric == "loss"].sort_values("epoch")
    for split, rows in loss.groupby("split"):
        assert len(rows) >= 2, split
        assert rows.epoch.iloc[-1] == result.last_epoch["model"] + 1
        assert np.isfinite(rows.value.iloc[-1]) and rows.value.iloc[-1] > rows.value.iloc[0], split


@pytest.mark.parametrize("patience", [None, 100])
def test_the_kept_epoch_of_a_diverged_run_is_the_one_whose_weights_are_kept(curve, patience):
    """best_epoch is documented as the epoch whose weights were kept: predict() must give that epoch's loss."""
    # The learning rate grows 1.5x per epoch: the validation loss falls to its best around epoch 4, rises,
    # then blows up.
    train = TrainConfig(epochs=30, lr=0.1, batch_size=None, patience=patience, scheduler="ExponentialLR",
                        scheduler_kwargs=(("gamma", 1.5),), scheduler_interval="epoch")
    result = fit(MLPSpec(1, (16,), 1, "tanh"), curve, train)
    assert result.diverged == ("model",)
    val = _val_loss(result)
    kept = result.best_epoch["model"]
    if patience is not None:
        assert kept == val.drop(index=0).idxmin()
    predicted = torch.as_tensor(training.predict(result, "model", curve.x_val))
    assert F.mse_loss(predicted, curve.y_val).item() == pytest.approx(val[kept], rel=1e-5)
    assert result.final()["model"] == pytest.approx(val[kept])


def _four_variants(optimizer: dict) -> list[Variant]:
    spec = MLPSpec(2, (16, 16), 1, "tanh")
    base = dict(epochs=5, batch_size=32, **optimizer)
    lr = optimizer["lr"]
    return [
        Variant("seed 0", spec, TrainConfig(seed=0, **base)),
        Variant("seed 1", spec, TrainConfig(seed=1, **base)),
        Variant("lr x3", spec, TrainConfig(seed=0, **{**base, "lr": 3 * lr})),
        Variant("narrow, decay", MLPSpec(2, (8, 4), 1, "tanh"), TrainConfig(seed=2, weight_decay=0.01, **base)),
    ]


@pytest.mark.parametrize("optimizer", [dict(optimizer="sgd", lr=0.05, momentum=0.9), dict(optimizer="adamw", lr=0.01)],
                         ids=["sgd-momentum", "adamw"])
def test_fit_many_equals_separate_fits(moons, optimizer):
    variants = _four_variants(optimizer)
    together = fit_many(variants, moons)
    assert set(together.history.variant) == {v.name for v in variants}
    for v in variants:
        _assert_same_run(together, fit(v.model, moons, v.train, name=v.name), v.name)
    finals = together.final()
    assert len(set(np.round(list(finals.values()), 6))) == 4  # the four variants really differ


@pytest.mark.parametrize(
    "model",
    [
        MLPSpec(2, (16,), 1, "relu", batch_norm=True),
        MLPSpec(2, (16,), 1, "relu", dropout=0.3),  # dropout draws its masks at run time
        lambda g: nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)),  # initialized from torch's global RNG
    ],
    ids=["batch-norm", "dropout", "nn.Sequential-factory"],
)
def test_fit_many_equals_separate_fits_through_autograd(small_moons, model):
    variants = [Variant(f"seed {s}", model, TrainConfig(epochs=3, lr=0.1, seed=s)) for s in (0, 1)]
    together = fit_many(variants, small_moons)
    for v in variants:
        _assert_same_run(together, fit(v.model, small_moons, v.train, name=v.name), v.name)


@pytest.mark.parametrize(
    "model",
    [MLPSpec(2, (16, 16), 1, "relu"), MLPSpec(2, (16, 16), 1, "relu", batch_norm=True, dropout=0.2)],
    ids=["manual", "autograd-bn-dropout"],
)
def test_same_config_same_history(moons, model):
    train = TrainConfig(epochs=4, lr=0.1, seed=5)
    a, b = fit(model, moons, train), fit(model, moons, train)
    pd.testing.assert_frame_equal(a.history, b.history, check_exact=True)
    pd.testing.assert_frame_equal(a.iterations, b.iterations, check_exact=True)
    assert all(np.array_equal(a.states["model"][k], b.states["model"][k]) for k in a.states["model"])
    other = fit(model, moons, TrainConfig(epochs=4, lr=0.1, seed=6))
    assert not np.array_equal(a.history.value, other.history.value)


def test_early_stopping_keeps_the_best_epoch():
    ds = data.load(DataConfig("moons", n_samples=100, noise=0.3, seed=0))
    patience = 10
    result = fit(MLPSpec(2, (32, 32), 1, "relu"), ds,
                 TrainConfig(epochs=150, lr=0.03, optimizer="adam", batch_size=None, patience=patience))
    best, last = result.best_epoch["model"], result.last_epoch["model"]
    val = _val_loss(result)
    assert last < 150 and last - best == patience  # stopped as soon as patience ran out
    assert val.drop(index=0).idxmin() == best  # the best validation epoch (after training started)
    assert val.index.max() == last
    message = result.messages["model"]
    assert f"Early stopping at epoch {last}" in message and f"epoch {best} are kept" in message
    predicted = torch.as_tensor(training.predict(result, "model", ds.x_val))  # (N, 1) P(class 1)
    loss = F.binary_cross_entropy(predicted, ds.y_val.float().unsqueeze(1)).item()
    assert loss == pytest.approx(val[best], rel=1e-4)
    assert result.final()["model"] == pytest.approx(val[best])
    assert len(result.iterations) == last  # full batch: one iteration per epoch


def test_an_early_stopped_variant_has_no_curve_after_it_stopped():
    ds = data.load(DataConfig("moons", n_samples=100, noise=0.3, seed=0))
    train = TrainConfig(epochs=40, lr=0.03, optimizer="adam", batch_size=None, patience=10)
    variants = [Variant("wide", MLPSpec(2, (32, 32), 1, "relu"), train),
                Variant("tiny", MLPSpec(2, (2, 2), 1, "relu"), train)]
    result = fit_many(variants, ds)
    assert result.last_epoch["wide"] < 40
    assert result.history.groupby("variant").epoch.max().to_dict() == result.last_epoch


def _torch_schedule(name: str, kwargs: dict, epochs: int, ipe: int, interval: str, lr: float) -> list[float]:
    """What a hand-written loop with torch's scheduler sees: the lr of every iteration."""
    params = [nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.SGD(params, lr=lr, momentum=0.9)
    scheduler = getattr(torch.optim.lr_scheduler, name)(optimizer, **kwargs)
    seen = []
    for _ in range(epochs):
        for _ in range(ipe):
            seen.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if interval == "iteration":
                scheduler.step()
        if interval == "epoch":
            scheduler.step()
    return seen


EPOCHS, IPE, LR = 5, 7, 0.1
SCHEDULES = [  # name, TrainConfig's scheduler_kwargs, what a hand-written loop passes to torch, interval
    ("StepLR", (("step_size", 4), ("gamma", 0.5)), {"step_size": 4, "gamma": 0.5}, "iteration"),
    ("StepLR", (("step_size", 2), ("gamma", 0.5)), {"step_size": 2, "gamma": 0.5}, "epoch"),
    ("CosineAnnealingLR", (), {"T_max": EPOCHS * IPE}, "iteration"),  # T_max left out: the whole run
    ("CosineAnnealingLR", (), {"T_max": EPOCHS}, "epoch"),
    ("OneCycleLR", (), {"max_lr": LR, "total_steps": EPOCHS * IPE}, "iteration"),  # max_lr: lr; total_steps: the run
    ("ExponentialLR", (("gamma", 0.9),), {"gamma": 0.9}, "iteration"),
]


@pytest.mark.parametrize("name, kwargs, torch_kwargs, interval",
                         [pytest.param(*s, id=f"{s[0]}-{s[3]}") for s in SCHEDULES])
def test_lr_table_matches_torch_schedulers(name, kwargs, torch_kwargs, interval):
    train = TrainConfig(epochs=EPOCHS, lr=LR, scheduler=name, scheduler_kwargs=kwargs, scheduler_interval=interval)
    table = lr_table(train, IPE)
    assert table.shape == (EPOCHS * IPE,)
    np.testing.assert_allclose(table, _torch_schedule(name, torch_kwargs, EPOCHS, IPE, interval, LR), rtol=1e-12)


# Schedulers with a required argument the trainer cannot fill in from the run (T_max, total_steps, max_lr
# and T_0 it can): torch's own signatures make these four need the student's kwargs.
NEEDS_KWARGS = {"CyclicLR": "base_lr", "ExponentialLR": "gamma", "MultiStepLR": "milestones", "StepLR": "step_size"}


def test_offered_schedulers_are_the_ones_this_test_knows():
    assert set(NEEDS_KWARGS) < set(training.SCHEDULERS) and len(training.SCHEDULERS) == 10


@pytest.mark.parametrize("name", sorted(set(training.SCHEDULERS) - set(NEEDS_KWARGS)))
def test_schedulers_without_required_kwargs_give_a_table(name):
    table = lr_table(TrainConfig(epochs=3, lr=0.1, scheduler=name), 4)
    assert table.shape == (12,) and np.isfinite(table).all()


@pytest.mark.parametrize("name", sorted(NEEDS_KWARGS))
def test_schedulers_missing_a_required_kwarg_say_which_in_a_value_error(name):
    """TrainConfig accepts every name in SCHEDULERS, so each must work or say why in a ValueError (no traceback)."""
    with pytest.raises(ValueError, match=f"{name} cannot be set up with .*{NEEDS_KWARGS[name]}"):
        lr_table(TrainConfig(epochs=3, lr=0.1, scheduler=name), 4)


def test_lr_tables_known_values():
    assert np.all(lr_table(TrainConfig(epochs=3, lr=0.2), 4) == 0.2)
    step = lr_table(TrainConfig(epochs=5, lr=0.1, scheduler="StepLR", scheduler_kwargs=(("step_size", 2),),
                                scheduler_interval="epoch"), 3)
    np.testing.assert_allclose(step, np.repeat([0.1, 0.1, 0.01, 0.01, 0.001], 3), rtol=1e-12)
    one_cycle = lr_table(TrainConfig(epochs=10, lr=0.1, scheduler="OneCycleLR"), 10)
    assert one_cycle[0] == pytest.approx(0.1 / 25) and one_cycle.max() == pytest.approx(0.1)
    assert one_cycle[-1] < 1e-5
    cosine = lr_table(TrainConfig(epochs=10, lr=0.1, scheduler="CosineAnnealingLR"), 10)
    assert cosine[0] == 0.1 and cosine[50] == pytest.approx(0.05, abs=1e-3) and cosine[-1] < 1e-3


@pytest.mark.parametrize("batch_size, expected", [(None, 1), (1, 42), (32, 2), (42, 1)])
def test_iterations_per_epoch_and_the_iteration_table(small_moons, batch_size, expected):
    train = TrainConfig(epochs=3, lr=0.1, batch_size=batch_size, scheduler="StepLR",
                        scheduler_kwargs=(("step_size", 2),))
    result = fit(MLPSpec(2, (4,), 1), small_moons, train)
    assert result.iterations_per_epoch == expected == math.ceil(42 / (batch_size or 42))
    it = result.iterations
    assert list(it.columns) == ITERATION_COLUMNS
    assert list(it.iteration) == list(range(1, 3 * expected + 1))
    assert list(it.epoch) == [i // expected + 1 for i in range(3 * expected)]
    np.testing.assert_allclose(it.lr, lr_table(train, expected).astype(np.float32), rtol=1e-6)
    assert np.isfinite(it.loss).all()


def test_history_is_tidy(moons, curve):
    result = fit(MLPSpec(2, (4,), 1), moons, TrainConfig(epochs=3))
    h = result.history
    assert list(h.columns) == HISTORY_COLUMNS
    assert len(h) == 4 * 2 * 2  # epochs 0..3 x train/validation x loss/accuracy
    assert set(h.split) == {"train", "validation"} and set(h.metric) == {"loss", "accuracy"}
    assert sorted(set(h.epoch)) == [0, 1, 2, 3]
    assert h[h.metric == "accuracy"].value.between(0, 1).all()
    regression = fit(MLPSpec(1, (4,), 1), curve, TrainConfig(epochs=2)).history
    assert list(regression.columns) == HISTORY_COLUMNS and set(regression.metric) == {"loss"} and len(regression) == 6


def test_on_progress_reports_growing_fractions_and_a_live_predictor(moons):
    calls = []

    def on_progress(fraction, snapshot):
        calls.append((fraction, snapshot.epoch, snapshot.history.epoch.max(), snapshot.predict(moons.x_val)))

    variants = [Variant(f"seed {s}", MLPSpec(2, (8,), 1), TrainConfig(epochs=6, lr=0.1, seed=s)) for s in (0, 1)]
    fit_many(variants, moons, on_progress=on_progress, progress_every=2)
    assert [c[0] for c in calls] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert [c[1] for c in calls] == [c[2] for c in calls] == [2, 4, 6]
    for *_, p in calls:
        assert p.shape == (2, len(moons.x_val), 1)
        assert (p >= 0).all() and (p <= 1).all()
    assert not torch.equal(calls[0][3], calls[-1][3])  # the predictor sees the networks as they train


def test_default_progress_ends_at_one(moons):
    fractions = []
    fit(MLPSpec(2, (4,), 1), moons, TrainConfig(epochs=7), on_progress=lambda f, s: fractions.append(f))
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 7


@pytest.mark.parametrize(
    "model",
    [
        MLPSpec(2, (16, 16), 1, "relu", batch_norm=True),
        MLPSpec(2, (16, 16), 1, "relu", dropout=0.1),
        lambda g: nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1)),
    ],
    ids=["batch-norm", "dropout", "nn.Sequential-factory"],
)
def test_other_modules_train_through_autograd(moons, model):
    result = fit(model, moons, TrainConfig(epochs=15, lr=0.1, momentum=0.9))
    val = _val_loss(result)
    assert val[15] < 0.7 * val[0]
    assert result.final("accuracy")["model"] > 0.8
    assert result.models["model"] == (model if isinstance(model, MLPSpec) else None)
    assert "0.weight" in result.states["model"]


def test_cross_entropy_predictions_are_class_probabilities():
    ds = data.load(DataConfig("wine", seed=0))
    spec = MLPSpec(13, (8,), 3)
    result = fit(spec, ds, TrainConfig(epochs=2, lr=1e-3, optimizer="adam"))
    p = training.predict(result, "model", ds.x_val)
    assert p.shape == (len(ds.x_val), 3)
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": 0}, r"number of epochs must be between 1 and 5,000"),
        ({"lr": 0}, r"learning rate must be a positive number"),
        ({"lr": float("nan")}, r"learning rate must be a positive number"),
        ({"optimizer": "lion"}, r"Unknown optimizer 'lion': choose one of .*sgd"),
        ({"optimizer": "adam", "momentum": 0.9}, r"adam has no momentum setting"),
        ({"momentum": 1.0}, r"Momentum must be at least 0 and below 1"),
        ({"weight_decay": -1}, r"Weight decay cannot be negative"),
        ({"batch_size": 0}, r"batch size must be at least 1"),
        ({"scheduler": "Nope"}, r"Unknown scheduler 'Nope'"),
        ({"optimizer_kwargs": (("nesterovv", True),)}, r"sgd does not take nesterovv"),
        ({"patience": 0}, r"patience must be at least 1"),
        ({"engine": "jax"}, r"engine is 'auto', 'manual', 'compiled' or 'autograd'"),
    ],
)
def test_bad_train_configs_raise_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_bad_runs_raise_a_clear_value_error(moons):
    spec = MLPSpec(2, (4,), 1)
    with pytest.raises(ValueError, match=r"number of training samples \(140\)"):
        fit(spec, moons, TrainConfig(batch_size=141))
    with pytest.raises(ValueError, match="its own name"):
        fit_many([Variant("a", spec), Variant("a", spec, TrainConfig(lr=0.5))], moons)
    with pytest.raises(ValueError, match="must share epochs"):
        fit_many([Variant("a", spec, TrainConfig(epochs=3)), Variant("b", spec, TrainConfig(epochs=4))], moons)
    with pytest.raises(ValueError, match="at least one variant"):
        fit_many([], moons)
    with pytest.raises(ValueError, match="expects 3 inputs but the data has 2 features"):
        fit(MLPSpec(3, (4,), 1), moons)
    with pytest.raises(ValueError, match="3 outputs but the data has 2 classes"):
        fit(MLPSpec(2, (4,), 3), moons)
    with pytest.raises(ValueError, match="hand-written engine covers plain MLPs"):
        fit(MLPSpec(2, (4,), 1, batch_norm=True), moons, TrainConfig(engine="manual"))
    with pytest.raises(ValueError, match="No trained MLP called 'other'"):
        training.predict(fit(spec, moons, TrainConfig(epochs=1)), "other", moons.x_val)


@pytest.mark.parametrize("engine", ["manual", "compiled", "autograd"])
def test_snapshot_modules_are_copies_of_the_live_networks(small_moons, engine):
    specs = [MLPSpec(2, (8,), 1, "tanh"), MLPSpec(2, (4,), 1, "tanh")]
    seen = []

    def probe(fraction, snap):
        modules = snap.modules()
        x = small_moons.x_val
        expected = snap.predict(x)  # (K, N, 1) probabilities
        with torch.no_grad():
            got = torch.stack([torch.sigmoid(m.eval()(x)) for m in modules])
        seen.append(float((got - expected).abs().max()))
        for p in modules[0].parameters():
            p.data.add_(1.0)  # changing a copy must not touch training

    cfg = TrainConfig(epochs=4, batch_size=8, lr=0.1, engine=engine)
    a = fit_many([Variant(f"w{i}", s, cfg) for i, s in enumerate(specs)], small_moons, on_progress=probe,
                 progress_every=1)
    b = fit_many([Variant(f"w{i}", s, cfg) for i, s in enumerate(specs)], small_moons)
    assert len(seen) == 4 and max(seen) < 1e-6
    pd.testing.assert_frame_equal(a.history, b.history)


# Dense outputs (one prediction per pixel or time step, classes last) and modules with an extra loss term ---------

class _PixelNet(nn.Module):
    """(N, 1, H, W) images -> (N, H, W, 2) logits: is each pixel bright? A 1x1 convolution can learn it."""

    def __init__(self, g: torch.Generator):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        with torch.no_grad():
            self.conv.weight.normal_(0, 0.1, generator=g)

    def forward(self, x):
        return self.conv(x).permute(0, 2, 3, 1)


def _pixel_data(n: int = 60) -> data.Dataset:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 1, 6, 6, generator=g)
    y = (x[:, 0] > 0.5).long()
    return data.Dataset("pixels", x[:40], y[:40], x[40:], y[40:], 2, ("pixel",), ("dark", "bright"))


def test_dense_outputs_train_per_pixel_and_report_the_share_of_correct_pixels():
    ds = _pixel_data()
    result = fit(_PixelNet, ds, TrainConfig(epochs=60, batch_size=10, lr=0.05, optimizer="adam"))
    assert result.loss == "cross_entropy"
    acc = result.final("accuracy")["model"]
    assert acc >= 0.95
    net = _PixelNet(torch.Generator().manual_seed(0))
    net.load_state_dict({k: torch.as_tensor(v) for k, v in result.states["model"].items()})
    with torch.no_grad():
        out = net(ds.x_val)
        pixels = (out.argmax(-1) == ds.y_val).float().mean().item()
        loss = F.cross_entropy(out.permute(0, 3, 1, 2), ds.y_val).item()  # torch's own per-pixel layout
    assert acc == pytest.approx(pixels, abs=1e-6)
    assert result.final("loss")["model"] == pytest.approx(loss, rel=1e-5)


class _Shrunk(nn.Module):
    """A linear model whose forward also stores a heavy L2 term as its aux_loss while it trains."""

    def __init__(self, g: torch.Generator, penalty: float):
        super().__init__()
        self.linear, self.penalty, self.aux_loss = nn.Linear(2, 1), penalty, None
        with torch.no_grad():
            self.linear.weight.normal_(0, 0.5, generator=g)

    def forward(self, x):
        if self.training:
            self.aux_loss = self.penalty * self.linear.weight.pow(2).sum()
        return self.linear(x)


def test_a_modules_aux_loss_trains_with_it_but_the_curves_show_the_data_term(moons):
    runs = {p: fit(lambda g, p=p: _Shrunk(g, p), moons, TrainConfig(epochs=30, lr=0.1, batch_size=50))
            for p in (0.0, 5.0)}
    norms = {p: float(np.linalg.norm(r.states["model"]["linear.weight"])) for p, r in runs.items()}
    assert norms[5.0] < 0.2 * norms[0.0]
    # the reported loss is the BCE of the outputs alone: recompute it from the kept weights
    net = _Shrunk(torch.Generator(), 5.0).eval()
    net.load_state_dict({k: torch.as_tensor(v) for k, v in runs[5.0].states["model"].items()})
    with torch.no_grad():
        bce = F.binary_cross_entropy_with_logits(net(moons.x_val)[:, 0], moons.y_val.float()).item()
    assert runs[5.0].final("loss")["model"] == pytest.approx(bce, rel=1e-5)


def test_relay_maps_the_trainer_progress_into_the_experiments_share_and_its_own_result():
    reports: list[tuple[float, object]] = []
    relayed = training.relay(lambda fraction, partial: reports.append((fraction, partial)),
                             lambda snap: ("partial at epoch", snap.epoch), start=0.5, stop=1.0)
    ds = data.load(DataConfig("moons", 100))
    fit(MLPSpec(2, (4,), 1, "tanh"), ds, TrainConfig(epochs=4, batch_size=None), on_progress=relayed,
        progress_every=2)
    # epochs 2 and 4 of 4: fractions 0.5 and 1 of the trainer, mapped into the second half of the experiment
    assert reports == [(0.75, ("partial at epoch", 2)), (1.0, ("partial at epoch", 4))]
    assert training.relay(None, lambda snap: snap) is None


def test_partial_fills_the_known_fields_and_leaves_the_rest_none():
    partial = training.partial(training.FitResult, loss="bce", iterations_per_epoch=3)
    assert isinstance(partial, training.FitResult)
    assert (partial.loss, partial.iterations_per_epoch, partial.history, partial.messages) == ("bce", 3, None, None)


@pytest.mark.parametrize("batch_size, n_train, expected", [(None, 7, 7), (1, 7, 1), (7, 7, 7)])
def test_check_batch_size_gives_the_batch_in_samples(batch_size, n_train, expected):
    assert training.check_batch_size(batch_size, n_train) == expected  # None: the full batch, all n_train samples


@pytest.mark.parametrize("batch_size", [0, 8])
def test_check_batch_size_refuses_a_batch_outside_the_training_set(batch_size):
    with pytest.raises(ValueError, match=r"Batch size must be between 1 and the number of training samples \(7\)"):
        training.check_batch_size(batch_size, 7)


def test_the_compiled_epoch_has_one_signature_for_every_optimizer(small_moons):
    """Each new argument type would compile the epoch again (seconds, in a student's run): warm() and runs with
    every optimizer and an int momentum must share the one signature that warm() compiled."""
    compiled.warm()
    for train in (TrainConfig(optimizer="sgd", momentum=0, batch_size=8), TrainConfig(optimizer="adam", batch_size=8),
                  TrainConfig(optimizer="adamw", weight_decay=0.1, batch_size=8)):
        fit(MLPSpec(2, (3,), 1, "relu"), small_moons, replace(train, epochs=1, engine="compiled"))
    assert len(compiled._epoch.signatures) == 1
