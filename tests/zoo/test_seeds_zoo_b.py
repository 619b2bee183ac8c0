"""Seed robustness of the claims of the zoo pages 11-13 (RNN / LSTM, Transformer, GAN) that rest on training.

The default views of these pages show shipped models (assets/zoo/), made once with seed 0: what they show
does not change from run to run. What can depend on the seed is whether the shipped run is typical. The
GAN's mode-collapse demo is the claim a student can retrain on the page (section 4), so it is measured
here over 5 seeds, at 800 steps (a quarter of the shipped 3,200, the tests' budget): the balanced GAN
(D with 128 units) reaches all 8 modes of the ring, the one with D of 4 units stays at 2 or fewer, and
the gap in energy distance is far larger than either run's spread over the seeds. Retraining the RNN
race or the four Transformers 5 times takes minutes, so they are not part of this file; measured by
hand, the RNN race's LSTM is not seed-robust at its defaults (see `core.zoo.recurrent.Recipe`), nor is the
decoder's recipe (seed 1 stays under 10% of the letters), while the encoder, causal and no-position
designs score alike over seeds 0-2.
"""
from __future__ import annotations

import pytest

from core.zoo import gan

SEEDS = range(5)
STEPS = 800


@pytest.fixture(scope="module")
def ends() -> dict[int, list[gan.CheckpointFacts]]:
    """D's width -> the final facts of the ring GAN trained with each seed."""
    return {d: [gan.train(gan.Recipe("ring", d_width=d, steps=STEPS, seed=s)).game.facts() for s in SEEDS]
            for d in (128, 4)}


def test_a_small_discriminator_collapses_the_generator_for_every_seed(ends):
    balanced, collapsed = ends[128], ends[4]
    assert all(f.modes_end == f.modes_total == 8 for f in balanced), [f.modes_end for f in balanced]
    assert all(f.modes_end <= 2 for f in collapsed), [f.modes_end for f in collapsed]
    # the worst balanced run is closer to the real points than the best collapsed one, by a factor over 10
    assert 10 * max(f.energy_end for f in balanced) < min(f.energy_end for f in collapsed)
    # and the gap in modes (8 against at most 2) is larger than either run's spread over the seeds
    gap = min(f.modes_end for f in balanced) - max(f.modes_end for f in collapsed)
    spreads = [max(f.modes_end for f in runs) - min(f.modes_end for f in runs) for runs in (balanced, collapsed)]
    assert gap > max(spreads)
