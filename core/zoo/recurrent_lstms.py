"""Stacked and bidirectional LSTMs on the memory race (slide 69): what a second layer and a backward pass add.

`lstm_variants(cfg, lstms)` reads the shipped race of `core.zoo.recurrent.LSTMS` (`shipped_lstms()`: a
one-layer LSTM, a 2-layer LSTM and a bidirectional LSTM trained side by side, same data, schedule and
seed) and returns its accuracy-vs-length sweep, a table of the three (layers, directions, parameters,
accuracy at the longest length, the first epoch at 90%, with how many of the seeds it gets there), and
the facts of its "what to notice". It also measures what the bidirectional head reads (`BothEnds`):
its accuracy with either direction's half of the head's input set to zero.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.progress import Progress
from core.zoo import sequences, weights
from core.zoo.recurrent import LSTM_RACE, LSTMS, N_VAL, Lstms, halves
from core.zoo.recurrent_lab import RECALLS, farthest, reach
from core.zoo.source import Source, check

STACKED, BIDIRECTIONAL = "2-layer LSTM", "bidirectional LSTM"


@dataclass(frozen=True)
class LstmVariants:
    """The shipped LSTM, 2-layer LSTM and bidirectional LSTM side by side (nothing to choose: a cached view)."""

    code_version: int = 1


def first_epoch(curve: pd.Series, level: float = RECALLS) -> int:
    """The first epoch whose validation accuracy is at least `level` (0: none in the curve)."""
    above = curve[curve >= level]
    return int(above.index.min()) if len(above) else 0


@dataclass(frozen=True)
class LstmFacts:
    """The shipped LSTM race: per network, its parameters, the longest length up to which it recalls (every
    accuracy >= RECALLS, 0: none), its accuracy at the longest length and the first epoch it recalls there
    (0: never); the bidirectional head's accuracy with one direction's half set to zero."""

    longest_length: int
    epochs: int
    n_train: int
    hidden: int
    params_lstm: int
    params_stacked: int
    params_bidirectional: int
    reach_lstm: int
    reach_stacked: int
    reach_bidirectional: int
    far_lstm: float
    far_stacked: float
    far_bidirectional: float
    epoch_lstm: int
    epoch_stacked: int
    epoch_bidirectional: int
    forward_only: float  # the shipped bidirectional LSTM with the backward half of its head's input set to 0
    backward_only: float  # ... with the forward half set to 0
    seeds_forward_only: int  # with how many of the seeds the bidirectional LSTM recalls from that half alone
    seeds_backward_only: int
    n_seeds: int  # the race at the recipe's length was also run with seeds 0..n_seeds-1:
    seeds_lstm: int  # with how many of them each network recalls (>= RECALLS) at that length
    seeds_stacked: int
    seeds_bidirectional: int
    chance: float
    params_second_layer: int  # what the second layer adds: params_stacked - params_lstm
    bidirectional_everywhere: bool  # it recalls at every length of the sweep, and with every seed at the longest
    direction_adds: bool  # it recalls at the longest length with more seeds than the one-layer LSTM
    stacked_behind: bool  # the 2-layer LSTM recalls less at the longest length than the one-layer LSTM (5+ points)


@dataclass
class LstmResult:
    table: pd.DataFrame  # cell, length, validation accuracy, networks ("shipped"): for charts.recurrent.length_curves
    summary: pd.DataFrame  # cell, layers, directions, parameters, accuracy at the longest length, first epoch at 90%,
    # with how many seeds it recalls there
    facts: LstmFacts


def lstm_variants(cfg: LstmVariants, lstms: Lstms, on_progress: Progress[LstmResult] | None = None) -> LstmResult:
    """The sweep, the table and the facts of the shipped LSTM race."""
    check(Source("recurrent", asset=LSTM_RACE), lstms)
    table = lstms.sweep.assign(networks="shipped")
    reached, (longest, far) = reach(table, level=RECALLS), farthest(table)
    curves = lstms.curves.pivot(index="epoch", columns="cell", values="validation accuracy")
    epochs = {name: first_epoch(curves[name]) for name in LSTMS}
    params = {name: weights.count(net) for name, net in lstms.networks.items()}
    by_seed = lstms.seeds[lstms.seeds["validation accuracy"] >= RECALLS].groupby("cell").size()
    seeds = {name: int(by_seed.get(name, 0)) for name in LSTMS}
    by_half = lstms.halves[lstms.halves["validation accuracy"] >= RECALLS].groupby("half").size()
    x, y = sequences.recall(N_VAL, lstms.recipe.length, lstms.recipe.seed + 1)  # the race's validation sequences
    read = {k: float((answer == y).float().mean()) for k, answer in halves(lstms.networks[BIDIRECTIONAL], x).items()}
    summary = pd.DataFrame({
        "cell": list(LSTMS), "layers": [LSTMS[n][0] for n in LSTMS], "directions": [1 + LSTMS[n][1] for n in LSTMS],
        "parameters": [params[n] for n in LSTMS], f"accuracy at length {longest}": [f"{far[n]:.0%}" for n in LSTMS],
        "first epoch at 90%": [str(epochs[n]) if epochs[n] else "never" for n in LSTMS],
        f"seeds at 90% (of {lstms.seeds.seed.nunique()})": [seeds[n] for n in LSTMS]})
    lstm, stacked, both = "LSTM", STACKED, BIDIRECTIONAL
    facts = LstmFacts(
        longest, lstms.recipe.epochs, lstms.recipe.n_train, lstms.recipe.hidden,
        params[lstm], params[stacked], params[both], reached[lstm], reached[stacked], reached[both],
        far[lstm], far[stacked], far[both], epochs[lstm], epochs[stacked], epochs[both],
        read["forward only"], read["backward only"], int(by_half.get("forward only", 0)),
        int(by_half.get("backward only", 0)), lstms.seeds.seed.nunique(), seeds[lstm], seeds[stacked],
        seeds[both], 1 / sequences.N_CLASSES,
        params_second_layer=params[stacked] - params[lstm],
        bidirectional_everywhere=reached[both] == longest and seeds[both] == lstms.seeds.seed.nunique(),
        direction_adds=seeds[both] > seeds[lstm],
        stacked_behind=far[stacked] <= far[lstm] - 0.05)
    return LstmResult(table, summary, facts)
