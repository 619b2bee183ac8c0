"""RNN vs GRU vs LSTM on long-range memory (slide 69): the race, accuracy vs length, gates, gradients, outputs.

The three cells are trained side by side (`fit_many`: same data, same schedule, same seed) on the
recall task of `core.zoo.sequences`: remember the first of `length` tokens. Each view of the page is
a function of a frozen config that returns tidy DataFrames:

* `race`: train the three (the page's "train it yourself"; the shipped weights are this at defaults);
* `length_table`: accuracy vs sequence length, measured when the weights were made;
* `gates`: the LSTM's input, forget and output gates and cell state over one typed sequence;
* `outputs`: single output (one answer) against sequence output (one answer per step);
* `gradient_flow`: ‖∂loss/∂x_t‖ over the steps t, at initialization and trained.

Each result carries the facts its "what to notice" sentence rests on (`RaceFacts`, `LengthFacts`,
`GateFacts`, `OutputFacts`, `FlowFacts`), computed here so that the page only chooses words.

`SHIPPED` makes `assets/zoo/recurrent_recall.pt` (the race at its defaults plus the length sweep)
and `assets/zoo/recurrent_recall_steps.pt` (the same race with one output per step).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from core.training import FitResult, Progress, TrainConfig, Variant, fit_many
from core.zoo import sequences, shapes, weights
from core.zoo.recurrent_nets import CELLS, SequenceNet, gate_frame, input_gradients, lstm_steps, memory_order, nets

N_VAL = 1000  # validation sequences of every race
LENGTHS = (5, 10, 20, 30, 45, 60)  # the sweep of the shipped accuracy-vs-length table
QUICK = {"epochs": 1, "n_train": 256}  # the tests' budget for making weights (same shapes, no skill)
QUICK_LENGTHS = (5, 10)
GRADIENT_SEQUENCES = 256
STAGES = ("at initialization", "trained")
SINGLE, STEPS = "recurrent_recall", "recurrent_recall_steps"


@dataclass(frozen=True)
class Race:
    """RNN, GRU and LSTM trained side by side on "recall the first of `length` tokens".

    At the defaults (length 60, 32 hidden units, keep-gate bias +3, 5 epochs of 4,000 sequences,
    Adam at lr 0.005, batches of 64, seed 0) the LSTM answers almost every validation sequence and
    the plain RNN stays near chance (25%): tests/test_zoo_recurrent.py measures the gap. That is seed 0,
    the shipped run. The GRU's lead holds for seeds 0-4; the LSTM's does not: with seeds 3 and 4 it
    reaches about 75%, with seed 2 it stays at the RNN's level (about 48%, also after 8 epochs).
    """

    length: int = 60
    hidden: int = 32
    keep_bias: float = 3.0  # added to the forget (LSTM) / update (GRU) gate's bias at initialization
    epochs: int = 5
    n_train: int = 4000
    batch_size: int = 64
    lr: float = 0.005
    per_step: bool = False  # one answer per step (sequence output) instead of one at the end
    seed: int = 0
    code_version: int = 2  # 2: results carry their facts

    def __post_init__(self) -> None:
        if not 5 <= self.length <= 100:
            raise ValueError("The sequence length must be between 5 and 100 tokens.")
        if not 4 <= self.hidden <= 128:
            raise ValueError("The number of hidden units must be between 4 and 128.")
        if not 0 <= self.keep_bias <= 5:
            raise ValueError("The keep-gate bias must be between 0 and 5.")
        if not 1 <= self.epochs <= 20:
            raise ValueError("The number of epochs must be between 1 and 20.")
        if not 100 <= self.n_train <= 10_000:
            raise ValueError("The number of training sequences must be between 100 and 10,000.")
        if not 1 <= self.batch_size <= self.n_train:
            raise ValueError(f"The batch size must be between 1 and the number of training sequences ({self.n_train}).")
        if not 0 < self.lr <= 1:
            raise ValueError("The learning rate must be in (0, 1].")

    def train(self) -> TrainConfig:
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, optimizer="adam", seed=self.seed)

    def network(self, cell: str, generator: torch.Generator | None = None) -> SequenceNet:
        return SequenceNet(cell, self.hidden, self.per_step, self.keep_bias, generator)


@dataclass(frozen=True)
class RaceFacts:
    """A student's race: its length and epochs, how long it took, each cell's final validation accuracy."""

    own_length: int
    own_epochs: int
    own_seconds: float
    own_rnn: float
    own_gru: float
    own_lstm: float


@dataclass
class RaceResult:
    history: pd.DataFrame  # variant (cell), epoch, split, metric, value
    accuracy: pd.DataFrame  # cell, length, validation accuracy
    state: dict[str, np.ndarray]  # the three networks' weights, keys "<cell>.<parameter>"
    seconds: float
    facts: RaceFacts


def _state(fit: FitResult) -> dict[str, np.ndarray]:
    return {f"{cell}.{name}": value for cell, state in fit.states.items() for name, value in state.items()}


def race(cfg: Race, on_progress: Progress | None = None) -> RaceResult:
    """Train the three cells together (one `fit_many`), keep their weights for the page's other views."""
    data = sequences.dataset(cfg.length, cfg.n_train, N_VAL, cfg.seed, cfg.per_step)
    variants = [Variant(cell, lambda g, cell=cell: cfg.network(cell, g), cfg.train()) for cell in CELLS]
    fit = fit_many(variants, data, on_progress=on_progress)
    state = _state(fit)
    weights.remember(cfg, {k: torch.as_tensor(v) for k, v in state.items()})
    final = fit.final("accuracy")
    accuracy = pd.DataFrame({"cell": list(CELLS), "length": cfg.length, "validation accuracy": [final[c] for c in CELLS]})
    facts = RaceFacts(cfg.length, cfg.epochs, fit.seconds, *(float(final[c]) for c in CELLS))
    return RaceResult(fit.history, accuracy, state, fit.seconds, facts)


def _shipped(name: str) -> tuple[dict[str, Tensor], Race]:
    state, meta = weights.load(name)
    return state, Race(**meta["race"])


def trained_on(source: Race | None) -> Race:
    """How the networks of `source` were trained (None: the shipped ones, read from their file)."""
    return source or _shipped(SINGLE)[1]


def networks(source: Race | None) -> tuple[dict[str, SequenceNet], Race]:
    """The three single-output networks: shipped (source None) or the ones a student trained with `source`."""
    if source is None:
        state, cfg = _shipped(SINGLE)
    else:
        cfg = source
        state = weights.recall(source) or {k: torch.as_tensor(v) for k, v in race(source).state.items()}
    return nets(state, cfg.hidden), cfg


def length_table(extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """Accuracy vs sequence length (cell, length, validation accuracy, networks), as measured when the
    shipped weights were made; `extra` (a race's `accuracy`) is added as "your run"."""
    sweep = weights.load(SINGLE)[1]["accuracy_vs_length"]
    table = pd.DataFrame([{"cell": c, "length": n, "validation accuracy": a, "networks": "shipped"}
                          for c in CELLS for n, a in zip(sweep["length"], sweep[c])])
    if extra is not None:
        table = pd.concat([table, extra.assign(networks="your run")], ignore_index=True)
    return table


def reach(table: pd.DataFrame, networks: str = "shipped", level: float = 0.9) -> dict[str, int]:
    """Per cell, the longest length of `table` up to which every accuracy is at least `level` (0: none)."""
    out = {}
    for cell, rows in table[table["networks"] == networks].sort_values("length").groupby("cell", sort=False):
        ok = rows["validation accuracy"].to_numpy() >= level
        first_miss = len(ok) if ok.all() else int(ok.argmin())
        out[cell] = int(rows["length"].iloc[first_miss - 1]) if first_miss else 0
    return out


def farthest(table: pd.DataFrame, networks: str = "shipped") -> tuple[int, dict[str, float]]:
    """The longest length in a `length_table` and each cell's validation accuracy there."""
    rows = table[table["networks"] == networks]
    rows = rows[rows["length"] == rows["length"].max()]
    return int(rows["length"].iloc[0]), dict(zip(rows["cell"], rows["validation accuracy"]))


RECALLS = 0.9  # "recalls the symbol": at least this validation accuracy


@dataclass(frozen=True)
class LengthFacts:
    """The shipped accuracy-vs-length sweep: per cell, the longest length up to which it recalls (every
    accuracy >= RECALLS, 0: none), and its accuracy at the longest length; `chance` is guessing's 1/4."""

    reach_rnn: int
    reach_gru: int
    reach_lstm: int
    longest_length: int
    far_rnn: float
    far_gru: float
    far_lstm: float
    chance: float
    rnn_falls: bool  # the RNN stops recalling before the longest length
    gated_hold: bool  # the GRU and the LSTM both still recall at the longest length


def length_facts(table: pd.DataFrame) -> LengthFacts:
    """The facts of a `length_table`'s shipped rows."""
    reached, (longest, far) = reach(table, level=RECALLS), farthest(table)
    return LengthFacts(reached["RNN"], reached["GRU"], reached["LSTM"], longest, far["RNN"], far["GRU"], far["LSTM"],
                       1 / sequences.N_CLASSES, reached["RNN"] < longest, min(far["GRU"], far["LSTM"]) >= RECALLS)


@dataclass(frozen=True)
class Typed:
    """A view of one sequence the student typed (or the default example), through shipped or own networks."""

    sequence: str = sequences.example(60, seed=7)
    source: Race | None = None  # None: the shipped networks
    code_version: int = 2  # 2: results carry their facts

    def __post_init__(self) -> None:
        sequences.encode(self.sequence)  # a ValueError in words for a bad sequence


@dataclass(frozen=True)
class GateFacts:
    """The LSTM on one typed sequence: its answer, and unit 1's forget gate and cell state.

    `forget_floor`: unit 1's lowest forget gate after the symbol (steps 2..T), rounded DOWN to 2 decimals,
    so that "never drops below {forget_floor:.2f}" is true as printed; `forget_product`: those gates
    multiplied. `cell_ends`: unit 1's last cell state had the sequence started with each of `end_symbols`.
    """

    lstm_answer: str
    lstm_probability: float
    lstm_right: bool
    typed_length: int
    trained_length: int
    length_differs: bool
    forget_floor: float
    forget_product: float
    keeps_most: bool  # forget_floor >= 0.5: at every step the cell keeps at least half of itself
    cell_first: float
    cell_last: float
    end_symbols: str
    cell_ends: tuple[float, ...]


@dataclass
class GatesResult:
    tokens: str
    gates: pd.DataFrame  # step, token, unit (1 = the one that carries the symbol), quantity, value
    memory: pd.DataFrame  # unit 1 only: step, token, quantity, value
    answers: pd.DataFrame  # cell, answer, P(answer), P(right symbol), right
    keep: dict[str, float]  # unit 1: its forget gate's min and product after step 1, its cell state at steps 1 and T
    ends: dict[str, float]  # unit 1's last cell state had the sequence started with each symbol
    trained_length: int  # the length of every sequence these networks were trained on
    facts: GateFacts


def gates(cfg: Typed, on_progress: Progress | None = None) -> GatesResult:
    """The LSTM's gates and cell state over the typed sequence, and what each cell answers."""
    models, race_cfg = networks(cfg.source)
    x = sequences.encode(cfg.sequence)  # (1, T)
    tokens = sequences.decode(x[0])
    lstm = models["LSTM"].recurrent
    with torch.no_grad():
        order, c_last = memory_order(lstm, x)
        frame = gate_frame(lstm_steps(lstm, models["LSTM"].onehot(x)), tokens, order)
        rows = []
        for cell, net in models.items():
            p = torch.softmax(net(x), dim=-1)[0]  # (C,)
            answer = int(p.argmax())
            rows.append({"cell": cell, "answer": sequences.SYMBOLS[answer], "P(answer)": float(p[answer]),
                         "P(right symbol)": float(p[x[0, 0]]), "right": answer == int(x[0, 0])})
    memory = frame[frame.unit == 1].drop(columns="unit")
    forget = memory[(memory.quantity == "forget gate") & (memory.step > 1)]["value"].to_numpy()
    cell = memory[memory.quantity == "cell state"]["value"].to_numpy()
    keep = {"forget min": float(forget.min(initial=1.0)), "forget product": float(forget.prod()),
            "cell first": float(cell[0]), "cell last": float(cell[-1])}
    ends = {symbol: float(c) for symbol, c in zip(sequences.SYMBOLS, c_last[:, order[0]])}
    lstm_row = rows[CELLS.index("LSTM")]
    floor = math.floor(keep["forget min"] * 100) / 100
    facts = GateFacts(lstm_row["answer"], lstm_row["P(answer)"], bool(lstm_row["right"]), len(tokens), race_cfg.length,
                      len(tokens) != race_cfg.length, floor, keep["forget product"], floor >= 0.5, keep["cell first"],
                      keep["cell last"], sequences.SYMBOLS, tuple(ends.values()))
    return GatesResult(tokens, frame, memory, pd.DataFrame(rows), keep, ends, race_cfg.length, facts)


@dataclass(frozen=True)
class OutputFacts:
    """Single output (one answer) against sequence output (one per step): the single-output LSTM's answer on the
    typed sequence, and the sequence-output cells' validation accuracy after the 1st, 10th and last token."""

    single_answer: str
    single_probability: float
    output_tokens: int
    steps_trained_length: int
    rnn_at_first: float
    rnn_at_tenth: float
    rnn_at_last: float
    gru_at_last: float
    lstm_at_last: float
    rnn_fades: bool  # the RNN is right less often at step 10 than at step 1


@dataclass
class OutputsResult:
    tokens: str
    per_position: pd.DataFrame  # cell, step, accuracy: sequence-output networks on the validation sequences
    steps: pd.DataFrame  # step, token, symbol, probability: the sequence-output LSTM on the typed sequence
    single: dict[str, object]  # the single-output LSTM's one answer: answer, probability
    layers_single: pd.DataFrame  # shapes.trace of each LSTM
    layers_steps: pd.DataFrame
    trained_length: int
    facts: OutputFacts | None = None

    def accuracy_at(self, step: int) -> dict[str, float]:
        """Each sequence-output cell's validation accuracy after `step` tokens."""
        rows = self.per_position[self.per_position["step"] == step]
        return dict(zip(rows["cell"], rows["accuracy"]))


def outputs(cfg: Typed, on_progress: Progress | None = None) -> OutputsResult:
    """Single output vs sequence output: the same LSTM core, a head on the last step or on every step.

    The sequence-output networks are the shipped ones (`recurrent_recall_steps`), trained with the
    first symbol as the target at every step; per position, their validation accuracy shows how long
    each cell keeps the symbol. `cfg.source` picks the single-output networks.
    """
    state, steps_cfg = _shipped(STEPS)
    per_step = nets(state, steps_cfg.hidden, per_step=True)
    single, _ = networks(cfg.source)
    x_val, y_val = sequences.recall(N_VAL, steps_cfg.length, steps_cfg.seed + 1, per_step=True)
    x = sequences.encode(cfg.sequence)  # (1, T)
    tokens = sequences.decode(x[0])
    with torch.no_grad():
        hits = {cell: (net(x_val).argmax(-1) == y_val).float().mean(0).numpy() for cell, net in per_step.items()}
        p_steps = torch.softmax(per_step["LSTM"](x), dim=-1)[0].numpy()  # (T, C)
        p_single = torch.softmax(single["LSTM"](x), dim=-1)[0]  # (C,)
    T = len(tokens)
    per_position = pd.DataFrame([{"cell": c, "step": t + 1, "accuracy": float(a[t])}
                                 for c, a in hits.items() for t in range(steps_cfg.length)])
    C = len(sequences.SYMBOLS)
    step_frame = pd.DataFrame({"step": np.repeat(np.arange(1, T + 1), C), "token": np.repeat(list(tokens), C),
                               "symbol": np.tile(list(sequences.SYMBOLS), T), "probability": p_steps.reshape(-1)})
    answer = int(p_single.argmax())
    result = OutputsResult(tokens, per_position, step_frame,
                           {"answer": sequences.SYMBOLS[answer], "probability": float(p_single[answer])},
                           shapes.trace(single["LSTM"], x), shapes.trace(per_step["LSTM"], x), steps_cfg.length)
    first, tenth, last = result.accuracy_at(1), result.accuracy_at(10), result.accuracy_at(steps_cfg.length)
    result.facts = OutputFacts(sequences.SYMBOLS[answer], float(p_single[answer]), T, steps_cfg.length, first["RNN"],
                               tenth["RNN"], last["RNN"], last["GRU"], last["LSTM"], tenth["RNN"] < first["RNN"])
    return result


@dataclass(frozen=True)
class Flow:
    """Gradient flow through time for the three cells, at initialization and after training."""

    source: Race | None = None
    n_sequences: int = GRADIENT_SEQUENCES
    code_version: int = 2  # 2: results carry their facts

    def __post_init__(self) -> None:
        if not 1 <= self.n_sequences <= N_VAL:
            raise ValueError(f"Average the gradient over 1 to {N_VAL} sequences.")


VANISHED = 1e-3  # a gradient ratio below this has vanished


@dataclass(frozen=True)
class FlowFacts:
    """Backpropagation through time: ‖∂loss/∂x_1‖ / ‖∂loss/∂x_T‖ for the RNN and the LSTM, fresh and trained.

    `*_step_factor`: the ratio's geometric mean per step, ratio ** (1 / `flow_steps_back`). Along the fresh
    LSTM's cell state alone, the gradient is multiplied by the forget gate at each step back: the mean
    gate is `forget_mean_fresh`, and the product over the `flow_steps_back` gates, averaged over the
    sequences and units, is `forget_product_fresh`. When the measured LSTM ratio exceeds that product
    (`gates_add`), paths through the gates (which read the hidden state) carry the rest.
    """

    flow_length: int
    flow_steps_back: int
    keep_bias: float
    rnn_ratio_fresh: float
    rnn_ratio_trained: float
    lstm_ratio_fresh: float
    rnn_step_factor: float
    lstm_step_factor: float
    forget_mean_fresh: float
    forget_product_fresh: float
    rnn_vanishes: bool  # rnn_ratio_fresh < VANISHED
    rnn_trained_vanishes: bool
    gates_add: bool


@dataclass
class FlowResult:
    norms: pd.DataFrame  # cell, stage, step, gradient norm
    table: pd.DataFrame  # cell, stage, at step 1, at the last step, step 1 / last step
    length: int
    fresh_forget: float  # the fresh LSTM's mean forget gate over these sequences (its keep factor per step)
    facts: FlowFacts | None = None

    @property
    def shown(self) -> pd.DataFrame:
        """`table` with its numbers written as 1.2e-05: they span 16 orders of magnitude."""
        return self.table.assign(**{c: self.table[c].map("{:.1e}".format) for c in self.table.columns[2:]})


def gradient_flow(cfg: Flow, on_progress: Progress | None = None) -> FlowResult:
    """‖∂loss/∂x_t‖ over t for each cell, fresh (the race's own seeded initialization) and trained."""
    trained, race_cfg = networks(cfg.source)
    x, y = sequences.recall(cfg.n_sequences, race_cfg.length, race_cfg.seed + 1)
    rows, fresh_forget, forget_product = [], float("nan"), float("nan")
    for cell in CELLS:
        fresh = race_cfg.network(cell, torch.Generator().manual_seed(race_cfg.seed)).eval()
        if cell == "LSTM":
            with torch.no_grad():
                f = lstm_steps(fresh.recurrent, fresh.onehot(x))["f"]  # (N, T, H)
                fresh_forget, forget_product = float(f.mean()), float(f[:, 1:].prod(dim=1).mean())
        for stage, net in zip(STAGES, (fresh, trained[cell])):
            norms = input_gradients(net, x, y)
            rows += [{"cell": cell, "stage": stage, "step": t + 1, "gradient norm": float(v)} for t, v in enumerate(norms)]
    frame = pd.DataFrame(rows)
    ends = frame.groupby(["cell", "stage"], sort=False)["gradient norm"].agg(["first", "last"]).reset_index()
    table = ends.rename(columns={"first": "at step 1", "last": f"at step {race_cfg.length}"})
    table["step 1 / last step"] = table["at step 1"] / table[f"at step {race_cfg.length}"]
    ratio = table.set_index(["cell", "stage"])["step 1 / last step"]
    back = race_cfg.length - 1
    rnn, lstm = float(ratio["RNN", STAGES[0]]), float(ratio["LSTM", STAGES[0]])
    facts = FlowFacts(race_cfg.length, back, race_cfg.keep_bias, rnn, float(ratio["RNN", STAGES[1]]), lstm,
                      rnn ** (1 / back), lstm ** (1 / back), fresh_forget, forget_product, rnn < VANISHED,
                      float(ratio["RNN", STAGES[1]]) < VANISHED, lstm > forget_product)
    return FlowResult(frame, table, race_cfg.length, fresh_forget, facts)


def _make(cfg: Race, quick: bool, lengths: tuple[int, ...]) -> tuple[nn.Module, dict]:
    """Train `cfg` (and, for single output, each length of the sweep); the three networks and their meta."""
    if quick:
        cfg = dataclasses.replace(cfg, **QUICK)
    result = race(cfg)
    meta: dict = {"task": f"recall the first of {cfg.length} tokens, "
                          + ("an answer at every step" if cfg.per_step else "one answer at the end"),
                  "race": dataclasses.asdict(cfg)}
    for cell, accuracy in zip(result.accuracy["cell"], result.accuracy["validation accuracy"]):
        meta[f"val_accuracy_{cell}"] = round(float(accuracy), 4)
    if lengths:
        runs = {n: result if n == cfg.length else race(dataclasses.replace(cfg, length=n)) for n in lengths}
        scores = {n: dict(zip(r.accuracy["cell"], r.accuracy["validation accuracy"])) for n, r in runs.items()}
        meta["accuracy_vs_length"] = {"length": list(lengths),
                                      **{c: [round(float(scores[n][c]), 4) for n in lengths] for c in CELLS}}
    models = nn.ModuleDict({cell: cfg.network(cell) for cell in CELLS})
    for name, value in result.state.items():
        models.get_parameter(name).data.copy_(torch.as_tensor(value))
    return models, meta


def make_single(quick: bool) -> tuple[nn.Module, dict]:
    """The race at its defaults (length 60) and the accuracy-vs-length sweep."""
    return _make(Race(), quick, QUICK_LENGTHS if quick else LENGTHS)


def make_steps(quick: bool) -> tuple[nn.Module, dict]:
    """The same race with one output per step."""
    return _make(Race(per_step=True), quick, ())


SHIPPED = {SINGLE: make_single, STEPS: make_steps}
