"""The 2-D loss surfaces and the optimizer comparison, checked with numbers against torch.optim and known minima."""
import math

import numpy as np
import pandas as pd
import pytest
import torch

from core import landscapes as ls


@pytest.mark.parametrize("name", list(ls.SURFACES))
def test_hand_written_gradient_equals_autograd(name):
    w = (torch.rand(64, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 6 - 3).requires_grad_()
    (auto,) = torch.autograd.grad(ls.SURFACES[name].f(w).sum(), w)
    torch.testing.assert_close(ls.SURFACES[name].grad(w.detach()), auto)


@pytest.mark.parametrize("name", list(ls.SURFACES))
def test_the_hessian_from_the_gradient_equals_autograds(name):
    s = ls.SURFACES[name]
    for point in torch.rand(8, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 6 - 3:
        exact = torch.autograd.functional.hessian(s.f, point)
        torch.testing.assert_close(ls._hessian(s, point), exact, rtol=1e-6, atol=1e-6)


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
    cfg = ls.Comparison("rosenbrock", (optimizer,), start=start, lr=lr, adaptive_lr=lr, steps=steps, momentum=0.9)
    end = ls.comparison(cfg).table.iloc[0]
    assert math.hypot(end["final w1"] - 1, end["final w2"] - 1) < 1e-2, end


def test_on_himmelblau_every_optimizer_ends_near_one_of_the_four_minima():
    minima = np.array(ls.SURFACES["himmelblau"].minima)
    for start in [(0.0, -0.5), (-1.0, 1.0), (1.0, -4.0), (-4.5, -4.5)]:
        table = ls.comparison(ls.Comparison("himmelblau", start=start, lr=0.01, adaptive_lr=0.01, steps=1000)).table
        for _, row in table.iterrows():
            distance = np.hypot(*(minima - [row["final w1"], row["final w2"]]).T).min()
            assert distance < 0.05, (start, row.optimizer, distance)
            assert row["ends"] == "a global minimum"


@pytest.mark.parametrize("name", list(ls.OPTIMIZERS))
def test_a_path_equals_stepping_torch_optim_by_hand(name):
    cfg = ls.Comparison("two_valleys", steps=50, momentum=0.8)
    path = ls.comparison(cfg).paths.query("optimizer == @name")
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


def test_the_default_comparison_shows_who_gets_stuck():
    ends = ls.comparison(ls.Comparison()).table.set_index("optimizer")["ends"]
    assert ends["SGD"] == "stuck in a local minimum"
    assert ends["SGD + momentum"] == "a global minimum"
    saddle = ls.comparison(ls.Comparison("saddle", ("SGD", "Adam"))).table.set_index("optimizer")["ends"]
    assert saddle["SGD"] == "slowed at the saddle point" and saddle["Adam"] == "a global minimum"


def test_noise_lets_sgd_escape_the_local_minimum():
    table = ls.escape(ls.Escape()).table
    assert list(table["ends"]) == ["stuck in a local minimum", "a global minimum"]
    assert table["final w1"].iloc[1] < 0 < table["final w1"].iloc[0]  # the deeper valley is on the left


def test_a_path_that_leaves_the_plot_is_cut_and_reported():
    result = ls.comparison(ls.Comparison("bowl", ("SGD", "Adam"), lr=1.5, steps=50))  # |1 - 2 lr| > 1: SGD diverges
    assert "left the plot" in result.messages["SGD"] and "Adam" not in result.messages
    sgd = result.paths.query("optimizer == 'SGD'")
    assert 0 < len(sgd) < 51 and (sgd[["w1", "w2"]].abs() <= 3).all().all()
    assert result.table.set_index("optimizer").loc["SGD", "ends"] == "off the plot"


def test_adam_takes_similar_steps_in_both_directions_of_the_valley():
    sizes = ls.comparison(ls.Comparison("valley", ("SGD", "Adam"), steps=5)).step_sizes.query("step == 1")
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
def test_bad_comparisons_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ls.Comparison(**kwargs)


def test_the_comparison_facts_say_which_minimum_each_optimizer_reached():
    facts = ls.comparison(ls.Comparison()).facts  # two valleys: the global minimum at w1 = -1.07, the local one at 0.91
    assert facts.optimizers == tuple(ls.OPTIMIZERS)
    assert facts.ends == ("stuck in a local minimum", "a global minimum", "a global minimum") + (
        "stuck in a local minimum",) * 3
    assert facts.summary == ("SGD, RMSprop, Adam, AdamW: stuck near a local minimum at (0.91, 0); "
                             "SGD + momentum, Nesterov: near a global minimum at (-1.07, 0)")
    assert facts.near == pytest.approx(0.08) and facts.any_near  # 2% of the plot's 4 wide
    assert facts.distinct_ends == 2 and not facts.one_place
    # Independently of core: along w2 = 0 the surface is 0.5 (w1² - 1)² + 0.3 w1, whose slope 2 w1³ - 2 w1 + 0.3
    # is zero at the global minimum, the ridge between the valleys and the local minimum (left to right).
    global_w1, _, local_w1 = np.sort(np.roots([2, 0, -2, 0.3]).real)  # -1.068, 0.154, 0.914
    f = ls.SURFACES["two_valleys"].f
    assert facts.lowest_loss == pytest.approx(float(f(torch.tensor([global_w1, 0.0], dtype=torch.float64))), abs=1e-6)
    assert facts.highest_loss == pytest.approx(float(f(torch.tensor([local_w1, 0.0], dtype=torch.float64))), abs=1e-4)
    saddle = np.array(ls.SURFACES["two_valleys"].saddles[0])
    assert facts.saddle_distances[0] == pytest.approx(local_w1 - saddle[0], abs=1e-3)


def test_a_local_minimum_is_told_from_a_path_still_moving():
    """Newton's method from the end finds the dimple it sits in (Rastrigin's minima sit near the integers);
    Adam's end jitters by about its learning rate and still counts as stuck; a point on a slope does not."""
    kind, at = ls.ending("rastrigin", np.array([-2.9, 2.95]))
    # Rastrigin's slope per axis, 2 w + 20π sin(2π w), is zero just inside ±3: bisect it there, independently of core.
    def slope(w: float) -> float:
        return 2 * w + 20 * np.pi * np.sin(2 * np.pi * w)

    lo, hi = 2.8, 3.2
    for _ in range(60):
        lo, hi = (lo, (lo + hi) / 2) if slope(lo) * slope((lo + hi) / 2) <= 0 else ((lo + hi) / 2, hi)
    assert kind == "stuck in a local minimum" and at == pytest.approx((-lo, lo), abs=1e-3)
    assert ls.ending("rastrigin", np.array([-2.6, 2.5]))[0] == "still on its way"  # between two dimples
    assert ls.ending("rosenbrock", np.array([-1.0, 1.0]))[0] == "still on its way"  # Rosenbrock has one minimum
    assert ls.ending("saddle", np.array([0.01, 0.03])) == ("slowed at the saddle point", (0.0, 0.0))
    assert ls.ending("himmelblau", np.array([-2.8, 3.13]))[0] == "a global minimum"


def test_a_path_still_moving_is_not_called_stuck():
    """A lecturer's find: on Rastrigin, momentum after 2 steps crosses a dimple at 0.4 a step; its end alone lies
    within the tolerance of the dimple's bottom, and the old rule, reading only the end, called it stuck."""
    result = ls.comparison(ls.Comparison("rastrigin", ("SGD + momentum",), steps=2))
    path = result.paths[["w1", "w2"]].to_numpy()
    assert np.hypot(*(path[-1] - path[-2])) > 0.37  # its last step: over 0.37, the tolerance is 0.2
    assert ls.ending("rastrigin", path[-1])[0] == "stuck in a local minimum"  # the end alone: in a dimple
    assert ls.ending("rastrigin", path) == ("still on its way", None)
    assert result.facts.ends == ("still on its way",) and not result.facts.any_near


def test_a_jitter_about_a_minimum_has_arrived_and_a_pass_through_it_has_not():
    """Steps longer than the tolerance (0.08 here) do not make a path still on its way: swinging 0.06 either side
    of the local minimum it rests there; passing through it at the same speed it is on its way."""
    local = np.array(ls.SURFACES["two_valleys"].local[0])
    swing = local + np.array([[0.06 * (-1) ** k, 0.0] for k in range(30)])  # steps of 0.12
    kind, at = ls.ending("two_valleys", swing)
    assert kind == "stuck in a local minimum" and at == pytest.approx(tuple(local), abs=1e-3)
    passing = local + np.array([[0.12 * (k - 29), 0.0] for k in range(30)])  # ends on the minimum itself
    assert ls.ending("two_valleys", passing) == ("still on its way", None)
    wide = np.zeros(2) + np.array([[0.3 * (-1) ** k, 0.0] for k in range(30)])  # a bounce wider than 0.12
    assert ls.ending("bowl", wide) == ("still on its way", None)


def test_a_path_arriving_by_ever_shorter_steps_is_there_one_speeding_up_is_not():
    """Halving steps from 1 to 0.03 leave under 0.03 of the way (0.03 + 0.016 + ...): at the bowl's minimum
    (tolerance 0.12). The same points in reverse order speed up away from it."""
    arriving = np.array([[0.5**k, 0.0] for k in range(6)])
    assert ls.ending("bowl", arriving) == ("a global minimum", (0.0, 0.0))
    assert ls.ending("bowl", arriving[::-1] - [1.0, 0.0]) == ("still on its way", None)


def test_adams_end_on_two_valleys_at_lr_0_1_still_rests_in_the_local_minimum():
    facts = ls.comparison(ls.Comparison("two_valleys", adaptive_lr=0.1)).facts
    assert [facts.ends[facts.optimizers.index(name)] for name in ls.ADAPTIVE] == ["stuck in a local minimum"] * 3
    assert facts.end_points[facts.optimizers.index("Adam")] == "(0.91, 0)"


@pytest.mark.parametrize("name", list(ls.SURFACES))
def test_a_path_said_to_rest_at_a_minimum_stays_there_when_it_goes_on(name):
    """Whatever the number of steps (1 to 200), a path `ending` puts at a minimum stays, for 100 more steps of the
    same run, within twice the tolerance of it (a saddle point holds a path only for a while: left out)."""
    s = ls.SURFACES[name]
    tolerance, more = ls._tolerance(s), 100
    lo, hi = np.array(s.box[0::2]), np.array(s.box[1::2])
    wrong, named = [], 0
    for steps in (1, 2, 3, 5, 10, 20, 50, 200):
        cfg = ls.Comparison(name, steps=steps + more)
        positions = ls.descend(cfg)
        for k, optimizer in enumerate(cfg.optimizers):
            whole = positions[:, k]
            if not (np.isfinite(whole).all() and (lo <= whole).all() and (whole <= hi).all()):
                continue  # it leaves the plot
            path, later = whole[:steps + 1], whole[steps:]
            kind, at = ls.ending(name, path)
            if kind in ("a global minimum", "stuck in a local minimum"):
                named += 1
                if np.hypot(*(later - at).T).max() > 2 * tolerance:
                    wrong.append((steps, optimizer, kind, at))
    assert not wrong, wrong
    assert named >= (0 if name == "rosenbrock" else 6)  # on every surface but Rosenbrock's long valley, some arrive


def test_optimizers_end_apart_on_every_non_convex_surface_by_default():
    """The comparison's default must show that the update rule matters; on Rastrigin they all used to end in one
    dimple."""
    for name in ("rosenbrock", "himmelblau", "saddle", "rastrigin", "two_valleys"):
        facts = ls.comparison(ls.Comparison(name)).facts
        assert facts.distinct_ends >= 2 and "off the plot" not in facts.ends, (name, facts.summary)
    rastrigin = ls.comparison(ls.Comparison("rastrigin")).facts
    assert rastrigin.distinct_ends >= 3 and rastrigin.highest_loss - rastrigin.lowest_loss > 5, rastrigin.summary
    assert ls.comparison(ls.Comparison("bowl")).facts.one_place  # theory: every one arrives at the one minimum


def test_a_saddle_slows_sgd_and_lets_it_go_in_the_end():
    """At the default 200 steps SGD rests by the saddle; it is slowed, not stuck: at 300 steps it is on its way and
    by 400 at the minimum (0, √2). Only a start exactly on the stable line w2 = 0 stays at the saddle."""
    ends = {n: ls.comparison(ls.Comparison("saddle", ("SGD",), steps=n)).facts for n in (200, 300, 400)}
    assert [f.ends[0] for f in ends.values()] == ["slowed at the saddle point", "still on its way", "a global minimum"]
    assert ends[200].summary == "SGD: slowed near the saddle point at (0, 0) (a saddle lets go in the end)"
    assert ends[400].end_points == ("(0, 1.41)",)
    on_line = ls.comparison(ls.Comparison("saddle", ("SGD",), start=(-2.5, 0.0), steps=2000)).facts
    assert on_line.ends == ("slowed at the saddle point",) and on_line.saddle_distances[0] < 1e-9


def test_a_path_that_left_the_plot_is_named_not_counted_as_a_place():
    """The elongated valley: Nesterov at lr 0.45 leaves the plot at step 2; the other five meet at (0, 0)."""
    facts = ls.comparison(ls.Comparison("valley")).facts
    assert facts.off_plot == ("Nesterov",) and facts.ends.count("a global minimum") == 5
    assert facts.distinct_ends == 1 and facts.one_place
    assert ls.comparison(ls.Comparison("two_valleys")).facts.off_plot == ()


def test_on_the_saddle_sgd_stalls_and_adam_escapes():
    facts = ls.comparison(ls.Comparison("saddle", ("SGD", "Adam"))).facts
    assert facts.ends == ("slowed at the saddle point", "a global minimum")
    assert facts.saddle_distances[0] < 0.1 and facts.saddle_distances[1] == pytest.approx(math.sqrt(2), abs=1e-3)
    assert facts.final_losses[1] == pytest.approx(-1.0, abs=1e-6) and facts.final_losses[0] > -0.01  # f(0, ±√2) = -1


def _swing_until(paths, name):
    """Independent of core's groupby: the last step at which |w2| > 0.1, scanning the path."""
    w2 = paths[paths.optimizer == name].sort_values("step")
    return max(int(s) for s, v in zip(w2.step, w2.w2) if abs(v) > ls.SWING)


def test_momentum_overshoots_across_the_valley_for_longer_yet_ends_far_nearer():
    """The old walkthrough said momentum 0.7 'averages the zig-zag away'; it swings wider for longer."""
    result = ls.momentum(ls.Momentum())
    f = result.facts
    assert (f.swing_until_sgd, f.swing_until_momentum) == (_swing_until(result.paths, "SGD"),
                                                           _swing_until(result.paths, "SGD + momentum")) == (5, 16)
    assert f.swings_longer and f.helps and not f.overshoots
    assert f.final_loss_momentum < f.final_loss_sgd / 100 and f.distance_momentum < f.distance_sgd / 100
    end = result.paths[result.paths.optimizer == "SGD"].iloc[-1]
    assert f.distance_sgd == pytest.approx(math.hypot(end.w1, end.w2)) and f.final_loss_sgd == pytest.approx(end.loss)
    assert f.steepness == pytest.approx(40)  # curvatures 4 and 0.1
    assert f.first_step_ratio_sgd == pytest.approx((4 * 2.0) / (0.1 * 4.5))  # lr · gradient, from (-4.5, 2)
    assert f.first_step_ratio_adam == pytest.approx(1, abs=1e-6)  # lr · sign(g)


@pytest.mark.parametrize("mu, overshoots, helps", [(0.0, False, False), (0.7, False, True), (0.9, True, False)])
def test_momentum_facts_tell_too_little_from_too_much(mu, overshoots, helps):
    f = ls.momentum(ls.Momentum(momentum=mu)).facts
    assert (f.overshoots, f.helps) == (overshoots, helps)


def test_the_escape_facts_say_how_each_noise_level_ended():
    f = ls.escape(ls.Escape()).facts
    assert f.escape_ends == ("stuck in a local minimum", "a global minimum") and f.escape_escaped
    assert (f.escape_first_end, f.escape_last_end, f.escape_last_noise, f.escape_seed) == (
        "stuck in a local minimum", "a global minimum", 4.0, 1)
    assert not ls.escape(ls.Escape(noises=(0.0, 0.0))).facts.escape_escaped


def _subtitle_and_rings(chart):
    spec = chart.to_dict()
    rings = [layer for layer in spec["layer"] if layer["mark"].get("color") == "black"]
    data = spec.get("datasets", {})
    return spec["title"]["subtitle"], sum(len(data[r["data"]["name"]]) for r in rings if "data" in r)


def test_the_map_subtitle_only_describes_what_is_drawn():
    """The net-slice maps draw one point (the trained weights) and no path: no 'black ring: the start'."""
    from core import charts

    grid = ls.surface_grid("bowl", 20)
    point = pd.DataFrame({"optimizer": "trained weights", "step": [0], "w1": [0.0], "w2": [0.0], "loss": [0.0]})
    subtitle, rings = _subtitle_and_rings(charts.landscape(grid, point, "slice"))
    assert "black ring" not in subtitle and "each one ended" not in subtitle and rings == 0
    assert subtitle == "darker: lower loss · big dot: trained weights"
    both = ls.comparison(ls.Comparison("bowl", ("SGD", "Adam"), steps=20))
    subtitle, rings = _subtitle_and_rings(charts.landscape(both.surface, both.paths, "comparison"))
    assert subtitle == "darker: lower loss · black ring: the start · big dot: where each one ended" and rings == 1
    one = ls.comparison(ls.Comparison("bowl", ("SGD",), steps=20))
    assert "big dot: where it ended" in _subtitle_and_rings(charts.landscape(one.surface, one.paths, "one"))[0]


def test_comparison_facts_say_which_rate_each_family_got_and_whether_they_differ():
    """Rastrigin: 0.003 for the SGD family, 0.1 for the adaptive one, so not 'only the update rule differs';
    two valleys: one rate for all six. Nesterov, with momentum too, ends in SGD's dimple on Rastrigin."""
    f = ls.comparison(ls.Comparison(surface="rastrigin")).facts
    assert (f.comparison_lr, f.comparison_adaptive_lr, f.rates_differ) == (0.003, 0.1, True)
    assert f.rates == "0.003 for SGD, SGD + momentum and Nesterov, 0.1 for RMSprop, Adam and AdamW"
    at = dict(zip(f.optimizers, f.end_points))
    assert at["Nesterov"] == at["SGD"] != at["SGD + momentum"]
    g = ls.comparison(ls.Comparison(surface="two_valleys")).facts
    assert (g.comparison_lr, g.comparison_adaptive_lr, g.rates_differ) == (0.05, 0.05, False)
    assert g.rates == "0.05 for SGD, SGD + momentum, Nesterov, RMSprop, Adam and AdamW"
    one_family = ls.comparison(ls.Comparison(surface="rastrigin", optimizers=("SGD", "Nesterov"))).facts
    assert not one_family.rates_differ and one_family.rates == "0.003 for SGD and Nesterov"
    assert ls.in_words([]) == "" and ls.in_words(["a"]) == "a" and ls.in_words(["a", "b"]) == "a and b"
