"""The preprocessing chapter's claims hold over 5 seeds, not just the one the page shows (seed 0).

Race (section 2): the network's initialization and batch order change with the seed; at the default
learning rate (0.03) and the walkthrough's (0.1) the standardized inputs reach 90% validation accuracy
within 5 epochs on every seed and the raw inputs never within 60 (they end at the share of the most
common class). Contours (section 3): the seed draws the 200 samples; at the default spread (5) and the
walkthrough's (20) the raw bowl is far more stretched, both paths zig-zag at 80% of the stable rate and
the raw one needs several times the steps to get 100 times closer. The other sections are deterministic
(no seed): their tests in test_preprocessing.py cover them.
"""
from __future__ import annotations

import pytest

from core import preprocessing as pp

SEEDS = range(5)


@pytest.mark.parametrize("lr", [0.03, 0.1])  # the page's default and the walkthrough's preset
def test_standardized_inputs_reach_the_target_and_raw_inputs_never_on_every_seed(lr):
    facts = [pp.race(pp.ScalingRace(lr=lr, seed=seed)).facts for seed in SEEDS]
    assert all(f.reached_standard is not None and f.reached_standard <= 5 for f in facts)
    assert all(f.reached_raw is None and f.raw_at_majority and f.standard_first for f in facts)
    margin = min(f.final_acc_standard - f.final_acc_raw for f in facts)
    spread = max(f.final_acc_standard for f in facts) - min(f.final_acc_standard for f in facts)
    assert margin > 0.5 > 10 * spread  # standardized ends 56-59 points above raw; seeds move it by 2 points


@pytest.mark.parametrize("spread", [5.0, 20.0])
def test_the_raw_path_crawls_on_every_seed(spread):
    facts = [pp.contours(pp.Contours(spread=spread, seed=seed)).facts for seed in SEEDS]
    for f in facts:
        assert f.zigzags_raw and f.zigzags_standard and not f.diverges and f.raw_crawls
        assert f.condition_raw > 10 * f.condition_standard and 1.2 < f.condition_standard < 2.1
        assert f.axis_ratio_standard < 1.5 and abs(abs(f.tilt_standard) - 45) < 0.5  # a tilted ellipse, not round
        assert f.steps_to_1pct_raw > 6 * f.steps_to_1pct_standard and f.steps_to_1pct_standard <= 10
        assert f.gap_raw > 0.03 > 1e-6 > f.gap_standard  # after 30 steps: raw still above its lowest loss
        assert f.lowest_standard > f.lowest_raw and f.lowest_centred == pytest.approx(f.lowest_standard)
    if spread == 20.0:  # the walkthrough's text
        assert all(f.condition_raw > 300 and f.axis_ratio_raw > 15 and f.steps_to_1pct_raw > 1000 for f in facts)
