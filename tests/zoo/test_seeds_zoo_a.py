"""Seed robustness of the claims of the zoo pages 7-10 (overview, CNN, autoencoders, FCN) that rest on training.

The default views of these pages show shipped models (assets/zoo/), made once with seed 0: what they show
does not change from run to run, and their facts are asserted in tests/zoo/test_zoo_*.py and, through the
walkthrough's checks, in tests/pages/test_walkthrough.py. What can depend on the seed is whether the shipped run
is typical. The CNN page's comparison is the claim a student retrains in a few seconds ("Train it
yourself" starts from the shipped recipe), so it runs here over 5 seeds at the default budget (20 epochs):
the CNN keeps far more of its accuracy than the MLP when every digit moves by one pixel, by more than
either model's spread over the seeds, while on the unmoved digits the two stay within a few points (which
one leads depends on the seed: 4 of the 5 seeds favour the CNN, so the page never claims that it wins).
Retraining the four autoencoders (60 epochs each) or an FCN 5 times does not fit this file's budget; their
claims were measured on seeds 0-3 once (the report of issue 16) and are asserted for the shipped seed in
tests/zoo/test_zoo_autoencoders.py and tests/zoo/test_zoo_fcn.py.
"""
from __future__ import annotations

import pytest

from core.zoo import cnn, cnn_lab
from core.zoo.source import Inspect, Source

SEEDS = range(5)


@pytest.fixture(scope="module")
def runs() -> list[tuple[cnn.ComparisonFacts, cnn_lab.ShiftFacts]]:
    """The comparison's facts and the shift facts of the default recipe trained with each seed."""
    found = []
    for seed in SEEDS:
        recipe = cnn.Recipe(seed=seed)
        trained = cnn.train(recipe)
        found.append((trained.facts, cnn_lab.inspect(Inspect(Source("cnn", recipe)), trained).shift_facts))
    return found


def test_the_cnn_tolerates_a_one_pixel_shift_far_better_than_the_mlp_for_every_seed(runs):
    cnn_kept, mlp_kept = [s.shift1_cnn for _, s in runs], [s.shift1_mlp for _, s in runs]
    assert min(cnn_kept) > max(mlp_kept) + 0.05, (cnn_kept, mlp_kept)
    gap = min(c - m for c, m in zip(cnn_kept, mlp_kept))
    assert gap > 0.1 and gap > max(max(cnn_kept) - min(cnn_kept), max(mlp_kept) - min(mlp_kept))
    assert all(s.shift1_cnn < s.unshifted_cnn - 0.2 and s.shift1_mlp < s.unshifted_mlp - 0.2 for _, s in runs)


def test_on_unmoved_digits_the_two_stay_within_a_few_points_and_both_pass_95_percent(runs):
    leads = [c.cnn_lead_points for c, _ in runs]
    assert all(abs(lead) < 3 for lead in leads), leads
    assert all(c.cnn_first_epoch is not None and c.mlp_first_epoch is not None for c, _ in runs)
