"""The landscape views show their slides robustly: the comparison is deterministic, so a claim is checked at the
default and at starts near it; the escape run draws noise, so its claim is checked over 5 seeds."""
import pytest

from core import landscapes as ls

NEAR = [(0, 0), (0.03, 0), (-0.03, 0), (0, 0.1), (0, -0.1)]  # nudges of the start
NON_CONVEX = ("rosenbrock", "himmelblau", "saddle", "rastrigin", "two_valleys")


@pytest.mark.parametrize("name", NON_CONVEX)
def test_the_update_rule_matters_on_every_non_convex_surface_near_its_default_start(name):
    """Slides 42-43: on a non-convex surface optimizers from one start end in different places.
    The saddle's start sits 0.0001 off the ridge on purpose: its nudges are along w1 and within the ridge."""
    s = ls.SURFACES[name]
    nudges = [(dx, dy / 2000) for dx, dy in NEAR] if name == "saddle" else NEAR
    for dx, dy in nudges:
        facts = ls.comparison(ls.Comparison(name, start=(s.start[0] + dx, s.start[1] + dy))).facts
        assert facts.distinct_ends >= 2, (name, dx, dy, facts.summary)
        assert dx or dy or "off the plot" not in facts.ends, facts.summary  # the default view has no warning
        if name == "rastrigin":  # many dimples: the losses differ clearly, not by a rounding
            assert facts.highest_loss - facts.lowest_loss > 3, (dx, dy, facts.summary)


@pytest.mark.parametrize("w1, w2", [(-2.5, 0.0001), (-2.2, 0.0001), (-2.8, 0.0001), (-2.5, 0.00005),
                                    (-2.5, 0.0002), (-2.5, -0.0001)])
def test_sgd_stalls_at_the_saddle_and_adam_escapes_near_the_default_start(w1, w2):
    """Slide 44: the walkthrough's saddle step claims SGD ends within 0.1 of the saddle and Adam ~1 lower."""
    f = ls.comparison(ls.Comparison("saddle", start=(w1, w2))).facts
    sgd, adam = f.optimizers.index("SGD"), f.optimizers.index("Adam")
    assert f.saddle_distances[sgd] < 0.1 and f.ends[sgd] == "slowed at the saddle point"
    assert f.final_losses[adam] < f.final_losses[sgd] - 0.9


@pytest.mark.parametrize("mu", [0.65, 0.7, 0.75])
def test_momentum_swings_longer_yet_ends_far_lower_near_the_default(mu):
    """Slide 48 at μ = 0.7 and beside it: the walkthrough's momentum claims."""
    f = ls.momentum(ls.Momentum(momentum=mu)).facts
    assert f.swing_until_momentum > f.swing_until_sgd + 5
    assert f.final_loss_momentum < f.final_loss_sgd / 100 and f.distance_momentum < f.distance_sgd / 10


def test_noise_escapes_the_local_minimum_in_most_seeds():
    """Slide 45: without noise SGD always stays in the local valley; with the default σ = 4 it escapes
    in at least 3 of 5 seeds (the default seed 1 among them), never leaving the plot."""
    ends = {seed: ls.escape(ls.Escape(seed=seed)).facts for seed in range(5)}
    assert all(f.escape_first_end == "stuck in a local minimum" for f in ends.values())
    assert sum(f.escape_escaped for f in ends.values()) >= 3 and ends[1].escape_escaped
    assert all(f.escape_last_end != "off the plot" for f in ends.values())
