"""RNN, GRU and LSTM (slide 69), trained side by side on long-range memory: the zoo's recurrent architecture.

`SequenceNet` reads token ids one-hot, runs them through torch's own `nn.RNN`, `nn.GRU` or `nn.LSTM`
(a loop that carries a hidden state from step to step) and puts a linear head either on the **last**
hidden state (single output: one answer per sequence, (N, C)) or on **every** hidden state (sequence
output: one answer per step, (N, T, C)). `lstm_steps` recomputes the LSTM with its equations written
out, to show its gates and its cell state at every step (a test proves it equals `nn.LSTM`).

The memory race: `train(Recipe, on_progress) -> Trained` trains the three cells side by side
(`fit_many`: same data, same schedule, same seed) on the recall task of `core.zoo.sequences`: remember
the first of `length` tokens. `shipped(asset)` reads a race from `assets/zoo/` instead: `SINGLE`
(`recurrent_recall.pt`: the race at its defaults, plus the accuracy-vs-length sweep measured when it was
made) or `STEPS` (`recurrent_recall_steps.pt`: the same race with one output per step); `SHIPPED` makes
them. `race_lstms` races three LSTMs of `LSTMS` the same way: one layer, two stacked layers (torch's
`num_layers=2`) and bidirectional (`bidirectional=True`); `shipped_lstms()` reads that race at the
defaults (`recurrent_lstms.pt`, with its length sweep and seeds 0-4 at length 60). What the page runs on
trained networks (gates, outputs, gradients) is in `core.zoo.recurrent_lab`; on the three LSTMs, in
`core.zoo.recurrent_lstms`.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.progress import Progress, report
from core.training import Snapshot, TrainConfig, Variant, check_batch_size, fit_many
from core.zoo import sequences, weights
from core.zoo.recipe import fixed_lr_remedy, untrained
from core.zoo.sequences import N_CLASSES, VOCAB

CELLS = ("RNN", "GRU", "LSTM")
RECURRENT = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}  # nn.RNN: h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)
# The gate that decides how much of the old state to keep is the second block of rows in torch's
# weights for both gated cells: LSTM rows are (input i, forget f, cell g, output o), GRU rows
# (reset r, update z, new n), with h_t = (1 - z) * n + z * h_{t-1}. A positive bias there makes a
# fresh network remember by default (Gers et al. 2000; Jozefowicz et al. 2015 use +1).
KEEP_GATE = {"GRU": "update gate z", "LSTM": "forget gate f"}
GATES = ("input gate", "forget gate", "output gate", "cell state")


class OneHot(nn.Module):
    """Token ids (N, T) -> one-hot vectors (N, T, V); float inputs (already vectors) pass through."""

    def forward(self, x: Tensor) -> Tensor:
        return x if x.is_floating_point() else F.one_hot(x, VOCAB).float()


class LastStep(nn.Module):
    """The hidden states of every step (N, T, H) -> the last one (N, H): what a single output reads."""

    def forward(self, states: Tensor) -> Tensor:
        return states[:, -1]


class EveryStep(nn.Identity):
    """The hidden states of every step (N, T, H), unchanged: what a sequence output reads."""


class BothEnds(nn.Module):
    """A bidirectional layer's states (N, T, 2H) -> (N, 2H): what a bidirectional single output reads.

    torch puts the forward direction's h in [..., :H] and the backward one's in [..., H:] (nn.LSTM's docs,
    `output`). The head reads the forward half at the LAST step (it has read tokens 1..T) next to the
    backward half at the FIRST step (it has read tokens T..1): each direction's final state, torch's
    h_n[-2] and h_n[-1]. On the recall task the backward direction reads the symbol last of all.
    """

    def forward(self, states: Tensor) -> Tensor:
        H = states.shape[-1] // 2
        return torch.cat([states[:, -1, :H], states[:, 0, H:]], dim=-1)


class SequenceNet(nn.Module):
    """one-hot -> RNN / GRU / LSTM (hidden units) -> [last step] -> linear head over the 4 symbols.

    `layers` > 1 stacks recurrent layers (torch's `num_layers`: layer 2 reads layer 1's hidden states);
    `bidirectional` adds a second pass from the last token to the first (torch's `bidirectional`), and a
    single output then reads `BothEnds`. Both are the torch module's own arguments.
    """

    def __init__(self, cell: str, hidden: int = 32, per_step: bool = False, keep_bias: float = 0.0,
                 generator: torch.Generator | None = None, layers: int = 1, bidirectional: bool = False):
        super().__init__()
        if cell not in RECURRENT:
            raise ValueError(f"Unknown cell {cell!r}: choose one of {', '.join(CELLS)}.")
        if not 1 <= layers <= 3:
            raise ValueError("A recurrent network here has 1 to 3 stacked layers.")
        self.cell, self.per_step = cell, per_step
        self.onehot = OneHot()
        self.recurrent = RECURRENT[cell](VOCAB, hidden, num_layers=layers, bidirectional=bidirectional,
                                         batch_first=True)
        self.last = EveryStep() if per_step else BothEnds() if bidirectional else LastStep()
        self.head = nn.Linear(hidden * (1 + bidirectional), N_CLASSES)
        with torch.no_grad():  # torch's default init, U(-1/sqrt(H), 1/sqrt(H)), but drawn from our seeded generator
            for p in self.parameters():
                nn.init.uniform_(p, -hidden ** -0.5, hidden ** -0.5, generator=generator)
            if cell in KEEP_GATE:  # every layer and direction: bias_ih_l0, bias_ih_l1, bias_ih_l0_reverse, ...
                for name, bias in self.recurrent.named_parameters():
                    if name.startswith("bias_ih"):
                        bias[hidden : 2 * hidden] += keep_bias

    def forward(self, x: Tensor) -> Tensor:  # x (N, T) token ids, or (N, T, V) vectors
        states, _ = self.recurrent(self.onehot(x))  # (N, T, H): the hidden state after every step
        return self.head(self.last(states))  # single output (N, C); sequence output (N, T, C)


HALVES = ("both", "forward only", "backward only")


def halves(net: SequenceNet, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """A bidirectional single-output network's answers (N,) on token ids x (N, T): as trained ("both"), and with
    the backward ("forward only") or the forward half ("backward only") of what its head reads set to 0."""
    if not net.recurrent.bidirectional or net.per_step:
        raise ValueError("Only a bidirectional network with one answer per sequence has two halves to read.")
    H = net.recurrent.hidden_size
    with torch.no_grad():
        both = net.last(net.recurrent(net.onehot(x))[0])  # (N, 2H): forward at step T, backward at step 1
        kept = {"both": both, "forward only": torch.cat([both[:, :H], torch.zeros_like(both[:, H:])], 1),
                "backward only": torch.cat([torch.zeros_like(both[:, :H]), both[:, H:]], 1)}
        return {name: net.head(features).argmax(-1) for name, features in kept.items()}


def nets(state: dict[str, Tensor], hidden: int, per_step: bool = False) -> dict[str, SequenceNet]:
    """The three trained networks from one state dict whose keys start with the cell ("LSTM.head.weight")."""
    out = {}
    for cell in CELLS:
        own = {k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(f"{cell}.")}
        out[cell] = weights.into(SequenceNet(cell, hidden, per_step), own)
    return out


def lstm_steps(lstm: nn.LSTM, x: Tensor) -> dict[str, Tensor]:
    """The LSTM's equations step by step, with its own weights: i, f, g, o, c, h, each (N, T, H).

        i = σ(W_i x_t + U_i h_{t-1} + b_i)     input gate: how much of the new candidate g to write
        f = σ(W_f x_t + U_f h_{t-1} + b_f)     forget gate: how much of the old cell state to keep
        g = tanh(W_g x_t + U_g h_{t-1} + b_g)  candidate values
        o = σ(W_o x_t + U_o h_{t-1} + b_o)     output gate: how much of the cell to show as h
        c_t = f * c_{t-1} + i * g              the cell state: a sum, not a squashing (why memory survives)
        h_t = o * tanh(c_t)
    x: (N, T, D) inputs (one-hot vectors).
    """
    # (4H, D), (4H, H): blocks of rows i, f, g, o; nn.LSTM's parameters, typed for the checker
    w_x, w_h = cast(Tensor, lstm.weight_ih_l0), cast(Tensor, lstm.weight_hh_l0)
    b = cast(Tensor, lstm.bias_ih_l0) + cast(Tensor, lstm.bias_hh_l0)  # (4H,)
    N, T, _ = x.shape
    h = c = x.new_zeros(N, lstm.hidden_size)  # (N, H)
    steps: dict[str, list[Tensor]] = {k: [] for k in "ifgoch"}
    for t in range(T):
        z = x[:, t] @ w_x.T + h @ w_h.T + b  # (N, 4H)
        i, f, g, o = z.chunk(4, dim=1)  # (N, H) each
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        for name, value in zip("ifgoch", (i, f, g, o, c, h)):
            steps[name].append(value)
    return {k: torch.stack(v, dim=1) for k, v in steps.items()}

# --- the memory race ---------------------------------------------------------------------------------------------
N_VAL = 1000  # validation sequences of every race
LENGTHS = (5, 10, 20, 30, 45, 60)  # the sweep of the shipped accuracy-vs-length table
QUICK: dict[str, Any] = {"epochs": 1, "n_train": 256}  # the tests' budget for making weights (same shapes, no skill)
QUICK_LENGTHS = (5, 10)
SINGLE, STEPS = "recurrent_recall", "recurrent_recall_steps"


@dataclass(frozen=True)
class Recipe:
    """The memory race: RNN, GRU and LSTM trained side by side on "recall the first of `length` tokens".

    At the defaults the LSTM answers almost every validation sequence and the plain RNN stays near
    chance (25%): tests/zoo/test_zoo_recurrent.py measures the gap. That is seed 0, the shipped run. The
    GRU's lead holds for seeds 0-4; the LSTM's does not: with some seeds it stays at the RNN's level.
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
    code_version: int = 4  # 2: results carry their facts; 3: and the trainer's messages; 4: the epochs kept

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
        check_batch_size(self.batch_size, self.n_train, "sequences")
        if not 0 < self.lr <= 1:
            raise ValueError("The learning rate must be in (0, 1].")

    def train_config(self) -> TrainConfig:
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, optimizer="adam", seed=self.seed)

    def network(self, cell: str, generator: torch.Generator | None = None) -> SequenceNet:
        return SequenceNet(cell, self.hidden, self.per_step, self.keep_bias, generator)


# CPU seconds measured on the app's 2-core machine with one torch thread (time.process_time()
# around train(Recipe(...)) with a progress callback, 2026-12-03): what a run alone on a free core takes.
# One epoch of the three cells: 3.57 s at length 60 and 32 units, 11.94 s at 100 and 64, 0.54 s at 5 and 16:
# a fixed 0.4 s plus 0.0018 s per (token x hidden unit).
EPOCH_SECONDS = (0.4, 0.0018)


def expected_seconds(recipe: Recipe) -> float:
    """Training time of the race (RNN, GRU and LSTM side by side) on a free CPU core, scaled from measured runs."""
    base, per_unit_step = EPOCH_SECONDS
    return recipe.epochs * (base + per_unit_step * recipe.length * recipe.hidden) * recipe.n_train / 4000


def build(recipe: Recipe) -> dict[str, SequenceNet]:
    """The three untrained networks, each initialized as the race initializes it (from the recipe's seed)."""
    return {cell: recipe.network(cell, torch.Generator().manual_seed(recipe.seed)) for cell in CELLS}


@dataclass(frozen=True)
class RaceFacts:
    """A race: its length and epochs, how long it took, each cell's final validation accuracy."""

    own_length: int
    own_epochs: int
    own_seconds: float
    own_rnn: float
    own_gru: float
    own_lstm: float
    own_untrained: tuple[str, ...] = ()  # the cells that kept epoch 0 (a loss that blew up in the first epoch)


@dataclass
class Trained:
    """The three cells after the race: their networks (eval mode), curves and final validation accuracy."""

    recipe: Recipe
    networks: dict[str, SequenceNet]  # RNN, GRU, LSTM (empty in a partial result while training)
    history: pd.DataFrame  # variant (cell), epoch, split, metric, value (a shipped race: not recorded, empty)
    accuracy: pd.DataFrame  # cell, length, validation accuracy
    sweep: pd.DataFrame | None  # cell, length, validation accuracy: the shipped sweep over LENGTHS (else None)
    seconds: float
    facts: RaceFacts | None  # None while training
    asset: str | None = None  # the shipped file it was read from (None: trained here)
    messages: dict[str, str] = field(default_factory=dict)  # cell -> what the trainer said (a blown-up loss);
    # none for the shipped networks or while training
    kept_epoch: dict[str, int] = field(default_factory=dict)  # cell -> the epoch whose weights it kept
    # (`FitResult.best_epoch`: the last, or the one before its loss blew up); empty for shipped or while training

    @property
    def shipped(self) -> bool:
        return self.asset is not None


def _accuracy(recipe: Recipe, final: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"cell": list(CELLS), "length": recipe.length,
                         "validation accuracy": [final[c] for c in CELLS]})


def train(recipe: Recipe, on_progress: Progress[Trained] | None = None) -> Trained:
    """Race the three cells (one `fit_many`); the partial result carries the curves so far."""
    data = sequences.dataset(recipe.length, recipe.n_train, N_VAL, recipe.seed, recipe.per_step)
    variants = [Variant(cell, functools.partial(recipe.network, cell), recipe.train_config()) for cell in CELLS]

    def progress(fraction: float, snap: Snapshot) -> None:
        unknown = _accuracy(recipe, {cell: float("nan") for cell in CELLS})
        report(on_progress, fraction, Trained(recipe, {}, snap.history, unknown, None, 0.0, None))

    # The page sets length, keep-gate bias, hidden units and epochs, not the learning rate (nor the seed).
    remedy = fixed_lr_remedy(recipe.lr, "try a shorter sequence or fewer hidden units")
    fit = fit_many(variants, data, on_progress=progress if on_progress else None, remedy=remedy)
    networks = {cell: weights.into(recipe.network(cell), {k: torch.as_tensor(v) for k, v in fit.states[cell].items()})
                for cell in CELLS}
    final = {cell: float(a) for cell, a in fit.final("accuracy").items()}
    rnn, gru, lstm = (final[c] for c in CELLS)
    facts = RaceFacts(recipe.length, recipe.epochs, fit.seconds, rnn, gru, lstm,
                      own_untrained=untrained(fit.best_epoch))
    return Trained(recipe, networks, fit.history, _accuracy(recipe, final), None, fit.seconds, facts,
                   messages=fit.messages, kept_epoch=fit.best_epoch)


def shipped(asset: str = SINGLE) -> Trained | Lstms:
    """A shipped race read from `assets/zoo/` (no training): SINGLE (one answer, with the length sweep) or STEPS;
    LSTM_RACE: the three LSTMs of `LSTMS` (`shipped_lstms`)."""
    if asset == LSTM_RACE:
        return shipped_lstms()
    if asset not in (SINGLE, STEPS):
        raise ValueError(f"No shipped recurrent networks called {asset!r}: choose {SINGLE}, {STEPS} or {LSTM_RACE}.")
    state, meta = weights.load(asset)
    recipe = Recipe(**meta["race"])
    networks = nets(state, recipe.hidden, recipe.per_step)
    final = {cell: float(meta[f"val_accuracy_{cell}"]) for cell in CELLS}
    seconds = float(meta.get("seconds_to_make") or 0)
    sweep = meta.get("accuracy_vs_length")
    table = None if sweep is None else pd.DataFrame(
        [{"cell": c, "length": n, "validation accuracy": a} for c in CELLS for n, a in zip(sweep["length"], sweep[c])])
    history = pd.DataFrame(columns=["variant", "epoch", "split", "metric", "value"])
    rnn, gru, lstm = (final[c] for c in CELLS)
    return Trained(recipe, networks, history, _accuracy(recipe, final), table, seconds,
                   RaceFacts(recipe.length, recipe.epochs, seconds, rnn, gru, lstm), asset)


def _make(recipe: Recipe, quick: bool, lengths: tuple[int, ...]) -> tuple[nn.Module, dict]:
    """Race `recipe` (and, for single output, each length of the sweep); the three networks and their meta."""
    if quick:
        recipe = dataclasses.replace(recipe, **QUICK)
    result = train(recipe)
    meta: dict = {"task": f"recall the first of {recipe.length} tokens, "
                          + ("an answer at every step" if recipe.per_step else "one answer at the end"),
                  "race": dataclasses.asdict(recipe)}
    for cell, accuracy in zip(result.accuracy["cell"], result.accuracy["validation accuracy"]):
        meta[f"val_accuracy_{cell}"] = round(float(accuracy), 4)
    if lengths:
        runs = {n: result if n == recipe.length else train(dataclasses.replace(recipe, length=n)) for n in lengths}
        scores = {n: dict(zip(r.accuracy["cell"], r.accuracy["validation accuracy"])) for n, r in runs.items()}
        meta["accuracy_vs_length"] = {"length": list(lengths),
                                      **{c: [round(float(scores[n][c]), 4) for n in lengths] for c in CELLS}}
    return nn.ModuleDict(result.networks), meta


def make_single(quick: bool) -> tuple[nn.Module, dict]:
    """The race at its defaults (length 60) and the accuracy-vs-length sweep."""
    return _make(Recipe(), quick, QUICK_LENGTHS if quick else LENGTHS)


def make_steps(quick: bool) -> tuple[nn.Module, dict]:
    """The same race with one output per step."""
    return _make(Recipe(per_step=True), quick, ())


# --- stacked and bidirectional LSTMs -------------------------------------------------------------------------------
LSTMS = {"LSTM": (1, False), "2-layer LSTM": (2, False), "bidirectional LSTM": (1, True)}  # (layers, bidirectional)
LSTM_RACE = "recurrent_lstms"
SEEDS, QUICK_SEEDS = (0, 1, 2, 3, 4), (0, 1)  # the race at the recipe's length is also run with each of these seeds


def lstm_network(recipe: Recipe, name: str, generator: torch.Generator | None = None) -> SequenceNet:
    """One of `LSTMS`, with the recipe's hidden units per layer and direction, and its keep-gate bias."""
    layers, bidirectional = LSTMS[name]
    return SequenceNet("LSTM", recipe.hidden, recipe.per_step, recipe.keep_bias, generator, layers, bidirectional)


def race_lstms(recipe: Recipe) -> dict[str, Any]:
    """The three LSTMs of `LSTMS` trained side by side on the recipe's race: same data, schedule and seed (its
    "LSTM" is the memory race's LSTM, weight for weight). Their networks, final validation accuracy and
    validation accuracy after every epoch (epoch 0: untrained), and the bidirectional one's validation accuracy
    with each half of what its head reads (`halves`)."""
    data = sequences.dataset(recipe.length, recipe.n_train, N_VAL, recipe.seed, recipe.per_step)
    variants = [Variant(name, functools.partial(lstm_network, recipe, name), recipe.train_config()) for name in LSTMS]
    fit = fit_many(variants, data)
    networks = {name: weights.into(lstm_network(recipe, name), {k: torch.as_tensor(v) for k, v in
                                                                fit.states[name].items()}) for name in LSTMS}
    rows = fit.history[(fit.history.metric == "accuracy") & (fit.history.split == "validation")]
    read = halves(networks["bidirectional LSTM"], data.x_val) if not recipe.per_step else {}
    return {"networks": networks, "accuracy": {name: float(a) for name, a in fit.final("accuracy").items()},
            "halves": {k: float((answer == data.y_val).float().mean()) for k, answer in read.items()},
            "curves": {name: [round(float(a), 4) for a in rows[rows.variant == name].sort_values("epoch").value]
                       for name in LSTMS}}


@dataclass
class Lstms:
    """The shipped LSTM, 2-layer LSTM and bidirectional LSTM (`LSTM_RACE`), raced as the memory race's defaults."""

    recipe: Recipe
    networks: dict[str, SequenceNet]  # LSTMS's names -> the networks trained at the recipe's length (eval mode)
    sweep: pd.DataFrame  # cell (the LSTMS name), length, validation accuracy: each length raced as `recipe`
    curves: pd.DataFrame  # cell, epoch, validation accuracy: the race at the recipe's length, after every epoch
    seeds: pd.DataFrame  # cell, seed, validation accuracy: the race at the recipe's length with each of SEEDS
    halves: pd.DataFrame  # half ("both", "forward only", "backward only"), seed, validation accuracy: the
    # bidirectional LSTM of each of those races reading both halves of its head's input, or one (`halves`)
    asset: str = LSTM_RACE

    @property
    def shipped(self) -> bool:
        return True


def shipped_lstms() -> Lstms:
    """The three LSTMs read from `assets/zoo/recurrent_lstms.pt` (the 2-layer and the bidirectional one) and
    `recurrent_recall.pt` (the one-layer LSTM), with the sweeps and curves measured when made."""
    state, meta = weights.load(LSTM_RACE)
    recipe, race = Recipe(**meta["race"]), shipped(SINGLE)
    if dataclasses.replace(race.recipe, code_version=recipe.code_version) != recipe:
        raise ValueError("The shipped LSTM race and memory race were made from different recipes: remake both "
                         f"(python -m core.zoo --only {SINGLE} --only {LSTM_RACE}).")
    networks = {name: weights.into(lstm_network(recipe, name), {k.split(".", 1)[1]: v for k, v in state.items()
                                                                if k.split(".", 1)[0] == name})
                for name in LSTMS if name != "LSTM"}
    networks = {"LSTM": race.networks["LSTM"], **networks}
    sweep = meta["accuracy_vs_length"]
    return Lstms(recipe, networks,
                 pd.DataFrame([{"cell": name, "length": n, "validation accuracy": a} for name in LSTMS
                               for n, a in zip(sweep["length"], sweep[name])]),
                 pd.DataFrame([{"cell": name, "epoch": e, "validation accuracy": a} for name in LSTMS
                               for e, a in enumerate(meta["curves"][name])]),
                 pd.DataFrame([{"cell": name, "seed": seed, "validation accuracy": a} for name in LSTMS
                               for seed, a in zip(meta["accuracy_vs_seed"]["seed"], meta["accuracy_vs_seed"][name])]),
                 pd.DataFrame([{"half": half, "seed": seed, "validation accuracy": a} for half in HALVES
                               for seed, a in zip(meta["halves_vs_seed"]["seed"], meta["halves_vs_seed"][half])]))


def make_lstms(quick: bool) -> tuple[nn.Module, dict]:
    """The three LSTMs raced at the memory race's defaults, at each length of its sweep and with each of SEEDS.

    The file keeps the 2-layer and the bidirectional LSTM: the one-layer LSTM is the memory race's (`race_lstms`),
    shipped in `recurrent_recall.pt`."""
    recipe = dataclasses.replace(Recipe(), **QUICK) if quick else Recipe()
    runs = {n: race_lstms(dataclasses.replace(recipe, length=n)) for n in (QUICK_LENGTHS if quick else LENGTHS)}
    if recipe.length not in runs:
        runs[recipe.length] = race_lstms(recipe)
    main = runs[recipe.length]
    seeds = {s: main if s == recipe.seed else race_lstms(dataclasses.replace(recipe, seed=s))
             for s in (QUICK_SEEDS if quick else SEEDS)}
    lengths = sorted(runs)
    meta = {"task": f"recall the first of {recipe.length} tokens, one answer at the end",
            "race": dataclasses.asdict(recipe), "curves": main["curves"],
            **{f"val_accuracy_{name}": round(main["accuracy"][name], 4) for name in LSTMS},
            "accuracy_vs_length": {"length": lengths,
                                   **{name: [round(runs[n]["accuracy"][name], 4) for n in lengths] for name in LSTMS}},
            "accuracy_vs_seed": {"seed": list(seeds),
                                 **{name: [round(r["accuracy"][name], 4) for r in seeds.values()] for name in LSTMS}},
            "halves_vs_seed": {"seed": list(seeds), **{half: [round(r["halves"][half], 4) for r in seeds.values()]
                                                       for half in HALVES}}}
    return nn.ModuleDict({name: main["networks"][name] for name in LSTMS if name != "LSTM"}), meta


SHIPPED = {SINGLE: make_single, STEPS: make_steps, LSTM_RACE: make_lstms}
