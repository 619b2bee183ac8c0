"""The default views of the optimization half of "Local minima and optimizers" show their slides on every seed.

Each test runs one experiment's default config over 5 seeds and asserts the claim its notice and walkthrough
step make, with a margin: slide 40 (the learning rate), the LR range test, slide 45 (noise from small batches),
slides 46-47 (schedules) and slide 43 (a real net's landscape).
"""
from __future__ import annotations

import dataclasses

import pytest

from core import optimization as opt

SEEDS = range(5)


def _facts(experiment, config) -> list:
    return [experiment(dataclasses.replace(config, seed=seed)).facts for seed in SEEDS]


def test_the_good_rate_descends_steadily_the_small_crawls_the_large_blows_up():
    facts = _facts(opt.lr_sweep, opt.LrSweep())
    rises = [f.good_max_rise for f in facts]  # measured: 0.09, 0.03, 0.00, 0.01, 0.01
    assert max(rises) < opt.SPIKE / 2 and all(f.good_spike_epochs == 0 for f in facts), rises
    ratios = [f.good_final_loss / f.small_final_loss for f in facts]  # measured: 0.20 to 0.55
    assert max(ratios) < 0.6, ratios
    assert all(f.large_blew_up and f.large_blow_up_epoch <= 2 for f in facts)


def test_the_range_test_falls_before_its_minimum_and_then_blows_up():
    facts = _facts(opt.lr_range, opt.LrRange())
    assert all(opt.LrRange().lr_min < f.range_suggestion <= f.range_lowest and f.range_stopped for f in facts)


def test_a_batch_of_one_is_far_noisier_and_the_runs_make_equal_updates():
    facts = _facts(opt.batch_noise, opt.BatchNoise())
    assert all(f.noise_updates == (420, 420, 420) for f in facts)
    ratios = [f.noise_variance[0] / f.noise_variance[1] for f in facts]  # about 16: the batch is 16x larger
    assert min(ratios) > 8, ratios
    shares = [f.noise_share_downhill for f in facts]  # batch 1: 0.58 to 0.86 downhill; batch 16: 0.89 to 1
    assert all(s[0] < 0.9 and s[1] - s[0] > 0.1 for s in shares), shares


def test_schedules_that_end_low_settle_below_the_constant_rate():
    facts = _facts(opt.schedules, opt.Schedules())
    ratios = [f.ends_low_max_change / f.constant_change for f in facts]  # measured: 0.03, 0.007, 0.004, 0.1, 0.3
    assert all(f.settle_compared for f in facts) and max(ratios) < 0.5, ratios


@pytest.mark.parametrize("seed", SEEDS)
def test_the_loss_rises_along_every_sampled_direction_and_the_full_batch_is_sharper(seed):
    f = opt.net_slices(opt.NetSlices(seed=seed)).facts
    assert f.slice_updates == (560, 560)
    assert f.slice_all_rising and min(f.slice_min_rise) > 0.01, f.slice_min_rise
    assert f.slice_last_sharper and f.slice_mean_rise[1] > 1.3 * f.slice_mean_rise[0], f.slice_mean_rise
