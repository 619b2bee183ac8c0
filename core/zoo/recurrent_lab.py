"""What the RNN / LSTM page runs on trained networks (slide 69), as `fn(config, trained) -> Result`.

Each experiment takes a frozen config carrying the Source of its networks and the trained race
itself (`recurrent.Trained`, from `core.zoo.source.resolve`); none fetches or trains one:

* `lengths`: accuracy vs sequence length, measured when the shipped weights were made (plus your race);
* `gates`: the LSTM's input, forget and output gates and cell state over one typed sequence;
* `outputs`: single output (one answer) against sequence output (one answer per step);
* `gradient_flow`: ‖∂loss/∂x_t‖ over the steps t, at initialization and trained.

Each result carries the facts its "what to notice" sentence rests on (`LengthFacts`, `GateFacts`,
`OutputFacts`, `FlowFacts`), computed here so that the page only chooses words.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.progress import Progress
from core.zoo import sequences, shapes
from core.zoo.recurrent import CELLS, GATES, N_VAL, STEPS, Trained, build, lstm_steps
from core.zoo.sequences import N_CLASSES, VOCAB
from core.zoo.source import Source, check

GRADIENT_SEQUENCES = 256
STAGES = ("at initialization", "trained")


# --- accuracy vs length -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lengths:
    """The shipped accuracy-vs-length sweep, and a student's race beside it (`own`, None: none)."""

    own: Source | None = None
    code_version: int = 3  # 3: computed from the Trained races handed in

    def __post_init__(self) -> None:
        if self.own is not None and self.own.shipped:
            raise ValueError("`own` is a race the student trained (a Source with a recipe).")


def length_table(shipped: Trained, own: Trained | None = None) -> pd.DataFrame:
    """Accuracy vs sequence length (cell, length, validation accuracy, networks), as measured when the
    shipped weights were made; `own` (a student's race) is added as "your run"."""
    if shipped.sweep is None:
        raise ValueError("These shipped networks carry no accuracy-vs-length sweep.")
    table = shipped.sweep.assign(networks="shipped")
    if own is not None:
        table = pd.concat([table, own.accuracy.assign(networks="your run")], ignore_index=True)
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


@dataclass
class LengthsResult:
    table: pd.DataFrame  # cell, length, validation accuracy, networks ("shipped" / "your run")
    facts: LengthFacts


def lengths(cfg: Lengths, shipped: Trained, own: Trained | None = None,
            on_progress: Progress[LengthsResult] | None = None) -> LengthsResult:
    """The sweep as one table, and the facts of its shipped rows."""
    check(Source("recurrent"), shipped)
    if (own is None) != (cfg.own is None):
        raise ValueError("Lengths is handed a student's race exactly when its config names one.")
    if own is not None and cfg.own is not None:
        check(cfg.own, own)
    table = length_table(shipped, own)
    return LengthsResult(table, length_facts(table))


# --- one typed sequence -----------------------------------------------------------------------------------------
EXAMPLE = sequences.example(60, seed=7)  # the sequence the page opens with


@dataclass(frozen=True)
class Gates:
    """The LSTM's gates over one sequence the student typed (or the default example), and each cell's answer."""

    sequence: str = EXAMPLE
    source: Source = Source("recurrent")  # the race whose networks read it (shipped, or the student's)
    code_version: int = 3  # 3: run on the Trained race handed in

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


def gates(cfg: Gates, trained: Trained, on_progress: Progress[GatesResult] | None = None) -> GatesResult:
    """The LSTM's gates and cell state over the typed sequence, and what each cell answers."""
    check(cfg.source, trained)
    models, race_cfg = trained.networks, trained.recipe
    x = sequences.encode(cfg.sequence)  # (1, T)
    tokens = sequences.decode(x[0])
    lstm = models["LSTM"].recurrent
    with torch.no_grad():
        order, c_last = memory_order(lstm, x)
        frame = gate_frame(lstm_steps(lstm, models["LSTM"].onehot(x)), tokens, order)
        rows: list[dict[str, Any]] = []
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


@dataclass(frozen=True)
class Outputs:
    """One typed sequence through the single-output networks of `source` and the shipped sequence-output ones."""

    sequence: str = EXAMPLE
    source: Source = Source("recurrent")  # the single-output race
    steps: Source = Source("recurrent", asset=STEPS)  # the sequence-output race
    code_version: int = 3  # 3: run on the Trained races handed in

    def __post_init__(self) -> None:
        sequences.encode(self.sequence)


def outputs(cfg: Outputs, single_race: Trained, steps_race: Trained,
            on_progress: Progress[OutputsResult] | None = None) -> OutputsResult:
    """Single output vs sequence output: the same LSTM core, a head on the last step or on every step.

    The sequence-output networks are the shipped ones (`recurrent_recall_steps`), trained with the
    first symbol as the target at every step; per position, their validation accuracy shows how long
    each cell keeps the symbol. `single_race` holds the single-output networks.
    """
    check(cfg.source, single_race)
    check(cfg.steps, steps_race)
    if not steps_race.recipe.per_step or single_race.recipe.per_step:
        raise ValueError("Outputs compares a single-output race with a sequence-output one.")
    per_step, steps_cfg, single = steps_race.networks, steps_race.recipe, single_race.networks
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
class GradientFlow:
    """Gradient flow through time for the three cells, at initialization and after training."""

    source: Source = Source("recurrent")
    n_sequences: int = GRADIENT_SEQUENCES
    code_version: int = 3  # 3: run on the Trained race handed in

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
class GradientFlowResult:
    norms: pd.DataFrame  # cell, stage, step, gradient norm
    table: pd.DataFrame  # cell, stage, at step 1, at the last step, step 1 / last step
    length: int
    fresh_forget: float  # the fresh LSTM's mean forget gate over these sequences (its keep factor per step)
    facts: FlowFacts | None = None

    @property
    def shown(self) -> pd.DataFrame:
        """`table` with its numbers written as 1.2e-05: they span 16 orders of magnitude."""
        return self.table.assign(**{c: self.table[c].map("{:.1e}".format) for c in self.table.columns[2:]})


def gradient_flow(cfg: GradientFlow, race: Trained, on_progress: Progress[GradientFlowResult] | None = None
                  ) -> GradientFlowResult:
    """‖∂loss/∂x_t‖ over t for each cell, fresh (the race's own seeded initialization) and trained."""
    check(cfg.source, race)
    trained, race_cfg = race.networks, race.recipe
    fresh_nets = build(race_cfg)
    x, y = sequences.recall(cfg.n_sequences, race_cfg.length, race_cfg.seed + 1)
    rows, fresh_forget, forget_product = [], float("nan"), float("nan")
    for cell in CELLS:
        fresh = fresh_nets[cell].eval()
        if cell == "LSTM":
            with torch.no_grad():
                f = lstm_steps(fresh.recurrent, fresh.onehot(x))["f"]  # (N, T, H)
                fresh_forget, forget_product = float(f.mean()), float(f[:, 1:].prod(dim=1).mean())
        for stage, net in zip(STAGES, (fresh, trained[cell])):
            norms = input_gradients(net, x, y)
            rows += [{"cell": cell, "stage": stage, "step": t + 1, "gradient norm": float(v)}
                     for t, v in enumerate(norms)]
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
    return GradientFlowResult(frame, table, race_cfg.length, fresh_forget, facts)




# --- helpers: which unit remembers, the gates as rows, gradients through time ------------------------------------
def memory_order(lstm: nn.LSTM, x: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The LSTM's units, the one whose cell state carries the first symbol first: (H,) unit indices,
    and the last cell state of each unit for each possible first symbol, (C, H).

    x (1, T) token ids. The sequence is run four times, each symbol in front of the same distractors;
    a unit whose last cell state differs most between the four runs is the one that remembers.
    """
    runs = x.repeat(N_CLASSES, 1)  # (C, T)
    runs[:, 0] = torch.arange(N_CLASSES)
    c_last = lstm_steps(lstm, F.one_hot(runs, VOCAB).float())["c"][:, -1]  # (C, H)
    spread = (c_last.max(dim=0).values - c_last.min(dim=0).values).detach().numpy()
    return np.argsort(-spread, kind="stable"), c_last.detach().numpy()


def gate_frame(steps: dict[str, Tensor], tokens: str, order: np.ndarray) -> pd.DataFrame:
    """One sequence's gates as tidy rows: step (1 = the symbol), token, unit, quantity, value.

    steps: `lstm_steps` of one sequence; units are renumbered in `order` (unit 1 = order[0]).
    """
    values = {q: steps[k][0].detach().numpy()[:, order] for q, k in zip(GATES, "ifoc")}  # (T, H) each
    T, H = values["cell state"].shape
    frames = [pd.DataFrame({"step": np.repeat(np.arange(1, T + 1), H), "token": np.repeat(list(tokens), H),
                            "unit": np.tile(np.arange(1, H + 1), T), "quantity": q, "value": v.reshape(-1)})
              for q, v in values.items()]
    return pd.concat(frames, ignore_index=True)


def input_gradients(net: nn.Module, x: Tensor, y: Tensor, chunk: int = 64) -> np.ndarray:
    """‖∂loss/∂x_t‖ for every step t, averaged over the sequences: (T,).

    x (N, T) token ids, y (N,) answers. Each sequence's own cross-entropy (a sum, not a mean over N,
    so the size of the batch does not shrink the numbers) is differentiated with respect to its
    one-hot inputs; the norm at step t says how much the answer can still learn from token t.
    `chunk` sequences at a time: autograd keeps every step's activations of the sequences it differentiates,
    rather than all of them at once.
    """
    return torch.cat([_step_norms(net, xs, ys) for xs, ys in zip(x.split(chunk), y.split(chunk))]).mean(dim=0).numpy()


def _step_norms(net: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """(N, T) ‖∂loss/∂x_t‖ of each sequence: its gradient depends on it alone, so chunks give the same numbers."""
    inputs = F.one_hot(x, VOCAB).float().requires_grad_()  # (N, T, V)
    with torch.enable_grad():
        loss = F.cross_entropy(net(inputs), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, inputs)  # (N, T, V)
    return grad.norm(dim=2)
