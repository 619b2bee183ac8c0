"""core.momentum: the 2 x 2 matrices R_i equal torch.optim.SGD's steps, their spectral radius is the measured decay,
critical damping is the lowest-rate μ, the divergence limits, the facts across settings and bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest

from core import charts, momentum as m


def _closed_form(cfg: m.Valley, mu: float) -> np.ndarray:
    """(steps + 1, 2) x_i^k = [R_i^k (0, x_i^0)]_x: the error along each direction by powers of R alone."""
    x0 = cfg.axes.T @ np.asarray(cfg.start)
    return np.array([[(np.linalg.matrix_power(m.transition(cfg.lr, mu, c), k) @ [0.0, x0[i]])[1]
                      for i, c in enumerate(cfg.curvatures)] for k in range(cfg.steps + 1)])


@pytest.mark.parametrize("lr, mu, angle", [(0.4, 0.5, 0), (0.4, 0.9, 0), (0.2, 0.0, 30), (0.7, 0.64, -45)])
def test_the_matrices_R_give_what_torch_optim_sgd_steps_to_1e_5(lr, mu, angle):
    cfg = m.Valley(lr=lr, momentum=mu, steps=80, angle=angle)
    stepped = m.descend(cfg, (mu,))[0] @ cfg.axes  # (T + 1, 2): torch's path in the valley's own axes
    assert np.abs(stepped - _closed_form(cfg, mu)).max() < 1e-5
    assert np.abs(stepped).max() > 0.1  # not two curves that both vanished at once


@pytest.mark.parametrize("lr, mu", [(0.4, 0.5), (0.4, 0.9), (0.2, 0.3), (0.9, 0.95)])
def test_the_spectral_radius_is_the_measured_decay_per_step(lr, mu):
    cfg = m.Valley(lr=lr, momentum=mu, steps=400)
    along = np.abs(_closed_form(cfg, mu))
    for i, c in enumerate(cfg.curvatures):
        rho = float(m.rates(lr, mu, c))
        # over a window of 60 steps late in the run: the largest error there shrinks like rho^60
        measured = (along[340:, i].max() / along[280:340, i].max()) ** (1 / 60)
        assert measured == pytest.approx(rho, rel=0.01), (i, measured, rho)


def test_the_rates_have_the_closed_form_of_the_trace_and_determinant():
    # R's trace is 1 + μ − lr λ, its determinant μ: |σ| = √μ once complex, else (|T| + √(T² − 4μ)) / 2
    for lr, mu, c in [(0.4, 0.5, 4.0), (0.4, 0.5, 0.1), (0.9, 0.1, 4.0), (0.01, 0.0, 0.1)]:
        t = 1 + mu - lr * c
        expected = math.sqrt(mu) if t * t < 4 * mu else (abs(t) + math.sqrt(t * t - 4 * mu)) / 2
        assert float(m.rates(lr, mu, c)) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("curvature", [0.1, 1.0, 4.0])
def test_critical_damping_is_the_grids_lowest_rate_momentum_for_one_direction(curvature):
    mus = m.momentum_axis()
    for lr in (0.05, 0.1, 0.2, 0.5):
        if lr * curvature >= 4:
            continue
        lowest = mus[np.argmin(m.rates(np.full_like(mus, lr), mus, curvature))]
        critical = m.critical_momentum(lr, curvature)
        assert abs(lowest - critical) <= 0.01 + 1e-9, (lr, lowest, critical)
        assert float(m.rates(lr, critical, curvature)) == pytest.approx(abs(1 - math.sqrt(lr * curvature)), abs=1e-6)


def test_the_valleys_lowest_rate_momentum_is_the_larger_critical_damping_on_every_column():
    result = m.valley(m.Valley())
    lowest = result.lowest_rates.set_index("lr")["momentum"]
    assert len(lowest) == 99  # every lr below 4 / λ_max = 1 converges at some μ; lr = 1 at none
    for lr, mu in lowest.items():
        closed = max(m.critical_momentum(lr, c) for c in (0.1, 4.0))
        assert abs(mu - closed) <= 0.01 + 1e-9, (lr, mu, closed)
    best_lr, best_mu, best_rate = m.best_settings((0.1, 4.0))
    assert (best_lr, best_mu, best_rate) == pytest.approx((0.74559, 0.52845, 0.72695), abs=1e-5)
    assert result.rate_map["rate"].min() == pytest.approx(best_rate, abs=0.01)  # the grid's best cell: Goh's optimum


def test_plain_sgd_diverges_beyond_2_over_lambda_max_and_momentum_beyond_2_1_plus_mu_over_it():
    lam = 4.0
    assert float(m.rates(0.49, 0.0, lam)) < 1 < float(m.rates(0.51, 0.0, lam))
    for mu in (0.3, 0.5, 0.9):
        limit = 2 * (1 + mu) / lam
        assert float(m.rates(limit * 0.99, mu, lam)) < 1 < float(m.rates(limit * 1.01, mu, lam))
    # the map's region that does not converge is exactly μ ≤ lr λ_max / 2 − 1 (rate 1 on the line), a band from 0 up
    grid = m.valley(m.Valley()).rate_map
    assert (grid["diverges"] == (grid["momentum"] <= grid["lr"] * lam / 2 - 1 + 1e-9)).all()
    # per lr = 0.5 + 0.01 j, the 2j + 1 μ's 0, 0.01, ..., 0.02 j (j = 0..49: 50² cells), and all 100 at lr = 1
    assert grid["diverges"].sum() == 2600
    f = m.valley(m.Valley(lr=0.6, momentum=0.0)).facts
    assert not f.converges and f.diverged_at is not None and f.steps_momentum is None
    assert m.valley(m.Valley(lr=0.6, momentum=0.3)).facts.converges  # 0.6 < 2 (1.3) / 4 = 0.65


def test_the_default_facts_say_momentum_helps_and_the_flat_direction_sets_the_pace():
    f = m.valley(m.Valley()).facts
    assert (f.lr, f.momentum) == (0.4, 0.5)
    assert f.rate == pytest.approx(0.9114, abs=1e-4) and f.slowest == "flat"
    assert f.rate_steep == pytest.approx(math.sqrt(0.5)) and f.swings_steep and not f.swings_flat
    assert f.plain_rate == pytest.approx(0.96) and (f.steps_momentum, f.steps_plain) == (51, 111)
    assert f.lowest_rate_momentum == 0.64 and f.critical_momentum == pytest.approx(0.64)
    assert f.critical_direction == "flat" and not f.beats_lowest_rate
    assert f.lowest_rate == pytest.approx(0.8) and f.steps_lowest_rate == 29
    assert f.steps_lowest_rate < f.steps_momentum < f.steps_plain / 2
    assert f.predicted_steps == 50 and (f.lr_limit_plain, f.lr_limit) == pytest.approx((0.5, 0.75))


def test_the_lowest_rate_is_fastest_only_in_the_long_run():
    """At critical damping (μ = 0.64 at lr 0.4) R has a repeated eigenvalue: the error falls like k·0.8^k, so a
    slightly larger μ (rate √μ, higher) reaches 1% in fewer measured steps; the facts say which one won."""
    cfg = m.Valley()
    mus = (0.64, 0.66, 0.68, 0.69, 0.7, 0.8)
    distance = np.linalg.norm(m.descend(cfg, mus), axis=-1)
    steps = dict(zip(mus, (m.steps_to(d) for d in distance)))
    assert steps == {0.64: 29, 0.66: 25, 0.68: 22, 0.69: 21, 0.7: 28, 0.8: 41}
    rate = {mu: max(float(m.rates(0.4, mu, c)) for c in cfg.curvatures) for mu in mus}
    assert min(rate, key=rate.get) == 0.64 and rate[0.69] == pytest.approx(math.sqrt(0.69))
    r = m.transition(0.4, 0.64, 0.1)  # critical damping of the flat direction: one eigenvalue, 0.8, twice
    assert np.linalg.eigvals(r) == pytest.approx([0.8, 0.8], abs=1e-6)
    close = m.valley(m.Valley(momentum=0.68)).facts
    assert close.beats_lowest_rate and (close.steps_momentum, close.steps_lowest_rate) == (22, 29)
    far = m.valley(m.Valley(momentum=0.9)).facts
    assert not far.beats_lowest_rate and far.steps_momentum > far.steps_lowest_rate
    assert not m.valley(m.Valley(momentum=0.64)).facts.beats_lowest_rate  # itself


@pytest.mark.parametrize("lr", [0.1, 0.2, 0.3, 0.4, 0.45])
def test_across_learning_rates_the_lowest_rate_momentum_beats_plain_sgd_and_too_much_momentum(lr):
    """At every rate plain SGD converges at, the lowest-rate μ takes fewer steps than plain SGD and than μ = 0.95."""
    f = m.valley(m.Valley(lr=lr, momentum=0.95, steps=1000)).facts
    assert f.lowest_rate_momentum is not None and f.steps_lowest_rate is not None
    assert f.steps_lowest_rate < f.steps_plain and f.steps_lowest_rate < f.steps_momentum
    assert f.slowest == "both" and f.rate == pytest.approx(math.sqrt(0.95))  # past critical damping: √μ


def test_beyond_plain_sgds_limit_momentum_still_converges_and_at_lr_1_nothing_does():
    f = m.valley(m.Valley(lr=0.9, momentum=0.9)).facts
    assert f.converges and f.plain_rate > 1 and f.steps_plain is None and f.critical_direction == "steep"
    assert m.valley(m.Valley(lr=1.0, momentum=0.5)).facts.lowest_rate_momentum is None  # lr λ_max = 4


def test_the_result_holds_the_curves_the_chart_and_the_table_draw():
    result = m.valley(m.Valley())
    curves = result.errors.groupby("curve")["step"].max()
    assert list(result.errors["run"].unique()) == ["μ = 0.5", "μ = 0 (plain SGD)", "μ = 0.64 (lowest rate at this lr)"]
    assert curves["μ = 0 (plain SGD): distance to the minimum"] == 200
    assert (result.errors["error"] > 0).all()  # a log axis: every value drawn is positive
    assert list(result.table["steps to 1% (measured)"]) == [51, 111, 29]
    assert len(result.rate_map) == m.GRID**2 and result.paths["optimizer"].nunique() == 3
    assert "layer" in charts.rate_map(result.rate_map, result.lowest_rates, 0.4, 0.5).to_dict()
    blown = m.valley(m.Valley(lr=0.9, momentum=0.1))
    assert blown.errors["error"].max() <= m.BLOWN * np.hypot(-4.5, 2.0)  # cut where it blew up


@pytest.mark.parametrize("kwargs, words", [
    ({"lr": 0}, "learning rate"), ({"lr": 11}, "learning rate"), ({"momentum": 1.0}, "Momentum"),
    ({"momentum": -0.1}, "Momentum"), ({"steps": 0}, "steps"), ({"steps": m.MAX_STEPS + 1}, "steps"),
    ({"curvatures": (4.0, 0.1)}, "flat first"), ({"curvatures": (0.0, 1.0)}, "two curvatures"),
    ({"curvatures": (0.1,)}, "two curvatures"), ({"start": (0.0, 2.0)}, "off both"), ({"angle": 91}, "angle"),
    ({"start": (float("nan"), 1.0)}, "start"),
])
def test_bad_settings_raise_a_value_error_that_says_what_to_change(kwargs, words):
    with pytest.raises(ValueError, match=words):
        m.Valley(**kwargs)
