"""The Learning-cycle chapter's claims hold on five seeds, not only on the seed a class sees.

Each test runs the default config of a claim-bearing experiment (or a walkthrough step's preset) with
seeds 0-4 and asserts what the page and the walkthrough say, with a margin.
"""
from __future__ import annotations

import pytest

from core import learning_cycle as lc

SEEDS = range(5)


def test_the_first_update_moves_against_the_gradient_and_lowers_the_loss():
    """Walkthrough steps on section 1: 2 hidden units and batches of 2; the learning rate 3 moves a weight by > 0.1."""
    for seed in SEEDS:
        first = lc.step_by_step(lc.StepByStep(hidden=2, batch_size=2, seed=seed)).facts
        assert first.against_gradient and first.train_loss_after < first.train_loss_before - 0.003  # 0.006-0.048
        assert lc.step_by_step(lc.StepByStep(lr=3.0, seed=seed)).facts.largest_move > 0.3  # 0.41-1.77


@pytest.mark.parametrize("batch_size, epochs", [(10, 60), (5, 30)])  # the page's defaults, the walkthrough's preset
def test_a_batch_loss_swings_more_than_the_epoch_curve_moves(batch_size, epochs):
    for seed in SEEDS:
        facts = lc.train_live(lc.LiveRun(batch_size=batch_size, epochs=epochs, seed=seed)).facts
        assert facts.noisy_iterations and facts.iteration_spread > 5 * facts.epoch_change  # 9.9-368 times


def test_the_walkthrough_point_is_near_the_boundary_and_the_network_unsure():
    for seed in SEEDS:
        run = lc.LiveRun(seed=seed)
        point = lc.infer(lc.Inference(run, -0.2, 0.45), lc.train_live(run).fit).facts
        assert point.near_boundary and point.boundary_distance < lc.NEAR_BOUNDARY - 0.05  # 0.025-0.127
        assert 0.3 < point.p_class1 < 0.7  # 0.32-0.61: "unsure" is 0.25-0.75


def test_small_underfits_good_holds_large_overfits():
    """Slide 30 at the section's defaults: the good net's validation loss ends within 3% of its lowest."""
    for seed in SEEDS:
        facts = lc.fit_sizes(lc.FitSizes(seed=seed)).facts
        assert facts.small_train_acc < facts.good_train_acc - 0.25  # 0.30-0.45 apart: a line cannot fit circles
        assert facts.good_rise < 1.03 < lc.GOOD_RISE  # 1.00-1.029
        assert facts.large_rise > 1.3 > lc.OVERFIT_RISE and facts.large_best_epoch < facts.epochs / 2  # 1.36-2.0
        assert facts.large_val_loss > 1.2 * facts.good_val_loss  # 1.24-2.0
        assert facts.small_underfits and facts.good_holds and facts.large_overfits
