"""The chapter's default views show their slides on every seed, not just on seed 0.

Each claim is checked on the page's default config over 5 seeds (the seed also draws the training images, the
wrong labels and the validation split). "Beats the baseline" is measured paired, seed by seed: the remedy's
validation accuracy minus the baseline's of the same seed. A claim holds when that gain is positive on every
seed and its mean is larger than its spread (the standard deviation of the 5 gains).

Measured at the defaults (n_train 200, 20% wrong labels, 100 epochs, λ 0.03): L2, early stopping, dropout, the
ensemble and the combination (L2 + early stopping) beat the baseline on every seed; the ensemble and L2 by a few
digits only on some seeds, which the page then says ("only just", from that run's facts). Augmentation in the
leaderboard, at the same SGD updates as the baseline, does not (its copies repeat the wrong labels); the page
says so from that run's facts. On clean labels (section 5) it does, at equal updates.
"""
from __future__ import annotations

import statistics

import pytest

from core import regularization as rg

SEEDS = range(5)
REMEDIES = ("l2_accuracy", "early_stopping_accuracy", "dropout_accuracy", "ensemble_accuracy")


@pytest.fixture(scope="module")
def runs() -> list[rg.RemediesResult]:
    return [rg.remedies(rg.Remedies(seed=s)) for s in SEEDS]


def _robust(gains: list[float]) -> tuple[float, float]:
    """(mean gain - spread, smallest gain): both must be above 0."""
    return statistics.mean(gains) - statistics.stdev(gains), min(gains)


def test_the_baseline_memorizes_on_every_seed(runs):
    for r in runs:
        b = r.baseline
        assert b.base_train_accuracy == 1.0 and b.base_accuracy_gap > 0.15
        assert b.val_loss_rise > 0.3 and b.train_loss_fall_after > 0  # validation loss climbs, train loss falls


@pytest.mark.parametrize("remedy", REMEDIES)
def test_each_remedy_beats_the_baseline_by_more_than_the_seed_spread(runs, remedy):
    gains = [getattr(r.facts, remedy) - r.facts.baseline_accuracy for r in runs]
    margin, worst = _robust(gains)
    print(f"{remedy}: gains {[round(g, 3) for g in gains]}, mean - spread {margin:.3f}")
    assert worst > 0 and margin > 0
    assert all(remedy.split("_accuracy")[0].replace("_", " ").replace("l2", "L2") in " ".join(r.facts.winners)
               for r in runs)


def test_the_default_combination_beats_the_baseline(runs):
    gains = []
    for r in runs:
        board = r.board.set_index("remedy")["validation accuracy"]
        gains.append(board["combination: L2 + early stopping"] - r.facts.baseline_accuracy)
    margin, worst = _robust(gains)
    print(f"combination: gains {[round(g, 3) for g in gains]}, mean - spread {margin:.3f}")
    assert worst > 0 and margin > 0


def test_only_just_is_said_of_the_wins_by_a_handful_of_digits_and_never_of_early_stopping_or_dropout(runs):
    """The ensemble's win is small on every seed (2, 10, 11, 3, 3 of 539 digits): the page says "only just" of any win
    by at most 5 digits, from the facts of that run; early stopping and dropout win by 20 digits or more on every
    seed."""
    for r in runs:
        f = r.facts
        margins = {"L2 / weight decay": f.l2_margin_digits, "early stopping": f.early_stopping_margin_digits,
                   "dropout": f.dropout_margin_digits, f"ensemble of {f.ensemble_size}": f.ensemble_margin_digits,
                   "augmentation (3 copies)": f.augmentation_margin_digits}
        print(f"margins in digits of {f.validation_images}: {margins}")
        assert set(f.narrow_winners) == {(k, m) for k, m in margins.items() if 0 < m <= 5}
        assert min(f.early_stopping_margin_digits, f.dropout_margin_digits) >= 20
        assert 0 < f.ensemble_margin_digits <= 15


def test_augmentation_in_the_leaderboard_takes_the_baselines_updates_and_is_reported_as_it_does(runs):
    gains = [r.facts.augmentation_accuracy - r.facts.baseline_accuracy for r in runs]
    print(f"augmentation (leaderboard): gains {[round(g, 3) for g in gains]}")
    for r, gain in zip(runs, gains):
        assert r.facts.augmentation_updates == r.facts.baseline_updates
        assert (gain > 0) == any(w.startswith("augmentation") for w in r.facts.winners)


def test_the_ensemble_beats_its_average_member_and_l2_shrinks_the_weights(runs):
    for r in runs:
        assert r.inside.ensemble_beats_members_mean
        assert r.weight_facts.norm_shrink > 0.3 and r.facts.l2_loss_gap < r.facts.baseline_loss_gap
        assert r.inside.es_stopped_epoch - r.inside.es_best_epoch == r.inside.es_patience


def test_augmentation_helps_clean_digits_at_equal_updates_on_every_seed():
    facts = [rg.augmentation_effect(rg.AugEffect(seed=s)).facts for s in SEEDS]
    gains = [f.augmentation_gain for f in facts]
    margin, worst = _robust(gains)
    print(f"augmentation (section 5): gains {[round(g, 3) for g in gains]}, mean - spread {margin:.3f}")
    assert all(f.updates_with == f.updates_without for f in facts)
    assert worst > 0 and margin > 0
