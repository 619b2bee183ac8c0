"""What the GAN page runs on trained games (slide 71): the players' layers, and mode collapse side by side.

Each experiment takes a frozen config carrying the Sources of its games, and the trained games
themselves (`gan.Trained`, from `core.zoo.source.resolve`), never fetches or trains one:

* `players(Players, trained)`: G's and D's layers with the shapes of a real forward pass;
* `collapse(Collapse, balanced, collapsed)`: the balanced run against the one with a small D: their
  points over training, modes and spread, a board of final scores and the facts of the sentence.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.progress import Progress
from core.zoo import gan, shapes
from core.zoo.source import Source, check


@dataclass(frozen=True)
class Players:
    """The two players of the shipped game on one distribution."""

    source: Source = Source("gan")
    examples: int = 4  # noise draws (for G) and real points (for D) traced through the layers
    code_version: int = 1


@dataclass
class PlayersResult:
    generator: pd.DataFrame  # core.zoo.shapes.trace of G on `examples` noise draws
    discriminator: pd.DataFrame  # the same for D on `examples` real points


def players(cfg: Players, trained: gan.Trained, on_progress: Progress[PlayersResult] | None = None) -> PlayersResult:
    """G's and D's layers, traced through a forward pass of each."""
    check(cfg.source, trained)
    model = trained.model
    return PlayersResult(shapes.trace(model.G, gan.noise(cfg.examples)),
                         shapes.trace(model.D, gan.real(trained.recipe.data, cfg.examples)))


@dataclass(frozen=True)
class Collapse:
    """The balanced ring game against the one whose D is too small, with both maps read at checkpoint `step`."""

    step: int = 3200
    balanced: Source = Source("gan", asset="gan_ring")
    collapsed: Source = Source("gan", asset="gan_ring_collapse")
    code_version: int = 1


def strip(runs: dict[str, gan.Game], columns: int = 6, points: int = 200) -> pd.DataFrame:
    """run, step, x1, x2: each run's generated points at `columns` checkpoints spread over its training."""
    frames = []
    for name, game in runs.items():
        steps = game.steps
        for i in np.linspace(0, len(steps) - 1, columns).round().astype(int):
            shown = game.samples[game.samples.step == steps[i]].iloc[:points]
            frames.append(shown.assign(run=name))
    return pd.concat(frames, ignore_index=True)[["run", "step", "x1", "x2"]]


def compare(runs: dict[str, gan.Game], score: str) -> pd.DataFrame:
    """run, step, `score`: one score of several games over training, for one chart."""
    return pd.concat([g.scores[["step", score]].assign(run=name) for name, g in runs.items()], ignore_index=True)


def board(runs: dict[str, gan.Game]) -> pd.DataFrame:
    """One row per game: its players' sizes and its scores at the end."""
    rows = []
    for name, game in runs.items():
        end, r = game.scores.iloc[-1], game.recipe
        total = gan.n_modes(r.data)
        rows.append({"run": name, "G units": r.g_width, "D units": r.d_width, "steps": int(end["step"]),
                     "modes covered": "–" if total is None else f"{int(end['modes covered'])} of {total}",
                     "energy distance": round(float(end["energy distance"]), 4),
                     "spread of G's points": round(float(end["spread"]), 3),
                     "spread of the real points": round(game.real_spread, 3)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class CollapseFacts:
    """The numbers behind the mode-collapse sentence: the run with a small D against the balanced one, on the ring.

    `map_low` / `map_high`: the collapsed run's D map at checkpoint `map_step`, its lowest and highest
    P(real) (`map_flat`: they differ by less than gan.FLAT_MAP). `pile_span`: over the pictured checkpoints
    of the second half of training, the largest distance between two centres of G's points (how far the
    pile wanders); `pile_drifts`: more than half the real points' spread. `looks_won`: both final losses
    within gan.BLIND_TOLERANCE of a D that says 1/2 everywhere.
    """

    small_d_units: int
    big_d_units: int
    ring_modes: int
    collapsed_modes: int
    balanced_modes: int
    collapsed_spread: float
    balanced_spread: float
    ring_spread: float
    collapsed_piled: bool
    collapsed_d_loss: float
    collapsed_g_loss: float
    collapse_blind_d: float
    collapse_blind_g: float
    looks_won: bool
    map_step: int
    map_low: float
    map_high: float
    map_flat: bool
    pile_span: float
    pile_drifts: bool


def collapse_facts(balanced: gan.Game, collapsed: gan.Game, step: int) -> CollapseFacts:
    """Compare the collapsed game with the balanced one at their ends; read the collapsed D's map at `step`."""
    end_b, end_c = balanced.facts(), collapsed.facts()
    belief = collapsed.picture(step)[0]["p"]
    late = [s for s in collapsed.steps if s >= collapsed.steps[-1] / 2]
    centres = np.array([collapsed.centre(s) for s in late])  # (K, 2)
    span = float(np.linalg.norm(centres[:, None] - centres[None], axis=-1).max())
    return CollapseFacts(
        small_d_units=collapsed.recipe.d_width, big_d_units=balanced.recipe.d_width, ring_modes=end_c.modes_total,
        collapsed_modes=end_c.modes_end, balanced_modes=end_b.modes_end, collapsed_spread=end_c.spread_end,
        balanced_spread=end_b.spread_end, ring_spread=balanced.real_spread, collapsed_piled=end_c.piled_end,
        collapsed_d_loss=end_c.d_loss_end, collapsed_g_loss=end_c.g_loss_end, collapse_blind_d=end_c.blind_d,
        collapse_blind_g=end_c.blind_g,
        looks_won=abs(end_c.d_loss_end - end_c.blind_d) <= gan.BLIND_TOLERANCE
        and abs(end_c.g_loss_end - end_c.blind_g) <= gan.BLIND_TOLERANCE,
        map_step=int(step), map_low=float(belief.min()), map_high=float(belief.max()),
        map_flat=float(belief.max() - belief.min()) < gan.FLAT_MAP, pile_span=span,
        pile_drifts=span > balanced.real_spread / 2)


@dataclass
class CollapseResult:
    runs: dict[str, gan.Game]  # "D with <units> units per layer" -> its game: the balanced one first
    strip: pd.DataFrame  # run, step, x1, x2: each run's points at a few checkpoints
    modes: pd.DataFrame  # run, step, modes covered
    spread: pd.DataFrame  # run, step, spread
    board: pd.DataFrame  # one row per run: sizes and final scores
    facts: CollapseFacts


def collapse(cfg: Collapse, balanced: gan.Trained, collapsed: gan.Trained,
             on_progress: Progress[CollapseResult] | None = None) -> CollapseResult:
    """Both games side by side, and the facts of the collapsed one at `cfg.step`."""
    check(cfg.balanced, balanced)
    check(cfg.collapsed, collapsed)
    if cfg.step not in collapsed.game.steps:
        raise ValueError(f"The collapsed game has no picture at step {cfg.step:,}.")
    runs = {f"D with {t.recipe.d_width} units per layer": t.game for t in (balanced, collapsed)}
    return CollapseResult(runs, strip(runs), compare(runs, "modes covered"), compare(runs, "spread"), board(runs),
                          collapse_facts(balanced.game, collapsed.game, cfg.step))
