"""The 2-D loss surfaces and the optimizer race, checked with numbers against torch.optim and known minima."""
import math

import numpy as np
import pytest
import torch

from core import landscapes as ls


@pytest.mark.parametrize("name", list(ls.SURFACES))
def test_hand_written_gradient_equals_autograd(name):
    w = (torch.rand(64, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 6 - 3).requires_grad_()
    (auto,) = torch.autograd.grad(ls.SURFACES[name].f(w).sum(), w)
    torch.testing.assert_close(ls.SURFACES[name].grad(w.detach()), auto)


@pytest.mark.parametrize("name", list(ls.SURFACES))
def test_known_minima_are_stationary_and_lowest_on_the_grid(name):
    s = ls.SURFACES[name]
    for point in s.minima + s.local + s.saddles:
        assert float(s.grad(torch.tensor(point, dtype=torch.float64)).norm()) < 1e-3, point
    grid = ls.surface_grid(name)
    assert len(grid) == ls.GRID**2 and np.isfinite(grid.loss).all()
    best = min(float(s.f(torch.tensor(m, dtype=torch.float64))) for m in s.minima)
    assert grid.loss.min() >= best - 1e-9


@pytest.mark.parametrize("optimizer, start, lr, steps", [  # "suitable settings": plain SGD needs the most steps
    ("SGD", (-1.5, 2.5), 0.002, 5000), ("SGD + momentum", (0.0, 0.0), 0.002, 1000),
    ("Nesterov", (-1.5, 2.5), 0.001, 1000), ("RMSprop", (1.1, 1.2), 0.0005, 5000),
    ("Adam", (-1.5, 2.5), 0.1, 1000), ("AdamW", (1.1, 1.2), 0.002, 1000),
])
def test_each_optimizer_solves_rosenbrock(optimizer, start, lr, steps):
    cfg = ls.Race("rosenbrock", (optimizer,), start=start, lr=lr, adaptive_lr=lr, steps=steps, momentum=0.9)
    end = ls.race(cfg).table.iloc[0]
    assert math.hypot(end["final w1"] - 1, end["final w2"] - 1) < 1e-2, end


def test_on_himmelblau_every_optimizer_ends_near_one_of_the_four_minima():
    minima = np.array(ls.SURFACES["himmelblau"].minima)
    for start in [(0.0, -0.5), (-1.0, 1.0), (1.0, -4.0), (-4.5, -4.5)]:
        table = ls.race(ls.Race("himmelblau", start=start, lr=0.01, adaptive_lr=0.01, steps=1000)).table
        for _, row in table.iterrows():
            distance = np.hypot(*(minima - [row["final w1"], row["final w2"]]).T).min()
            assert distance < 0.05, (start, row.optimizer, distance)
            assert row["ends"] == "a global minimum"


@pytest.mark.parametrize("name", list(ls.OPTIMIZERS))
def test_a_path_equals_stepping_torch_optim_by_hand(name):
    cfg = ls.Race("two_valleys", steps=50, momentum=0.8)
    path = ls.race(cfg).paths.query("optimizer == @name")
    cls, settings = ls.OPTIMIZERS[name]
    w = torch.nn.Parameter(torch.tensor(cfg.begin, dtype=torch.float64))
    kwargs = {k: 0.8 if v is None else v for k, v in settings.items()}
    opt = cls([w], lr=cfg.rate(name), **kwargs)
    expected = [w.detach().clone()]
    for _ in range(cfg.steps):
        opt.zero_grad()
        ls.SURFACES["two_valleys"].f(w).backward()
        opt.step()
        expected.append(w.detach().clone())
    np.testing.assert_allclose(path[["w1", "w2"]].to_numpy(), torch.stack(expected).numpy(), rtol=1e-9, atol=1e-12)


def test_the_default_race_shows_who_gets_stuck():
    ends = ls.race(ls.Race()).table.set_index("optimizer")["ends"]
    assert ends["SGD"] == "stuck in a local minimum"
    assert ends["SGD + momentum"] == "a global minimum"
    saddle = ls.race(ls.Race("saddle", ("SGD", "Adam"))).table.set_index("optimizer")["ends"]
    assert saddle["SGD"] == "stuck on the saddle point" and saddle["Adam"] == "a global minimum"


def test_noise_lets_sgd_escape_the_local_minimum():
    table = ls.escape(ls.Escape()).table
    assert list(table["ends"]) == ["stuck in a local minimum", "a global minimum"]
    assert table["final w1"].iloc[1] < 0 < table["final w1"].iloc[0]  # the deeper valley is on the left


def test_a_path_that_leaves_the_plot_is_cut_and_reported():
    result = ls.race(ls.Race("bowl", ("SGD", "Adam"), lr=1.5, steps=50))  # |1 - 2 lr| > 1: SGD diverges
    assert "left the plot" in result.messages["SGD"] and "Adam" not in result.messages
    sgd = result.paths.query("optimizer == 'SGD'")
    assert len(sgd) < 51 and (sgd[["w1", "w2"]].abs() <= 3).all().all()
    assert result.table.set_index("optimizer").loc["SGD", "ends"] == "off the plot"


def test_adam_takes_similar_steps_in_both_directions_of_the_valley():
    sizes = ls.race(ls.Race("valley", ("SGD", "Adam"), steps=5)).step_sizes.query("step == 1")
    s = sizes.set_index(["optimizer", "parameter"])["step size"]
    assert s["Adam", "w1"] == pytest.approx(s["Adam", "w2"], rel=1e-6)  # the first Adam step is lr * sign(g)
    assert s["SGD", "w2"] > 5 * s["SGD", "w1"]


@pytest.mark.parametrize("kwargs, message", [
    ({"steps": 0}, "number of steps"),
    ({"lr": 0.0}, "learning rate"),
    ({"adaptive_lr": 50.0}, "learning rate"),
    ({"start": (9.0, 0.0)}, "start point"),
    ({"optimizers": ()}, "at least one optimizer"),
    ({"surface": "volcano"}, "Unknown surface"),
    ({"momentum": 1.0}, "Momentum"),
])
def test_bad_races_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ls.Race(**kwargs)
