"""RNN, GRU and LSTM (slide 69): one small sequence network, its LSTM gates written out, and its gradient flow.

`SequenceNet` reads token ids one-hot, runs them through torch's own `nn.RNN`, `nn.GRU` or `nn.LSTM`
(a loop that carries a hidden state from step to step) and puts a linear head either on the **last**
hidden state (single output: one answer per sequence, (N, C)) or on **every** hidden state (sequence
output: one answer per step, (N, T, C)). `lstm_steps` recomputes the LSTM with its equations written
out, to show its input, forget and output gates and its cell state at every step (a test proves it
equals `nn.LSTM`). `input_gradients` measures how much of the loss's gradient reaches each time step:
the lesson's vanishing gradients, now through time instead of through layers.

The experiments that train these networks (the memory race, the accuracy-vs-length sweep, the
shipped weights) are in `core.zoo.recurrent`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.zoo import weights
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


class SequenceNet(nn.Module):
    """one-hot -> RNN / GRU / LSTM (hidden units) -> [last step] -> linear head over the 4 symbols."""

    def __init__(self, cell: str, hidden: int = 32, per_step: bool = False, keep_bias: float = 0.0,
                 generator: torch.Generator | None = None):
        super().__init__()
        if cell not in RECURRENT:
            raise ValueError(f"Unknown cell {cell!r}: choose one of {', '.join(CELLS)}.")
        self.cell, self.per_step = cell, per_step
        self.onehot = OneHot()
        self.recurrent = RECURRENT[cell](VOCAB, hidden, batch_first=True)
        self.last = EveryStep() if per_step else LastStep()
        self.head = nn.Linear(hidden, N_CLASSES)
        with torch.no_grad():  # torch's default init, U(-1/sqrt(H), 1/sqrt(H)), but drawn from our seeded generator
            for p in self.parameters():
                nn.init.uniform_(p, -hidden ** -0.5, hidden ** -0.5, generator=generator)
            if cell in KEEP_GATE:
                self.recurrent.bias_ih_l0[hidden : 2 * hidden] += keep_bias

    def forward(self, x: Tensor) -> Tensor:  # x (N, T) token ids, or (N, T, V) vectors
        states, _ = self.recurrent(self.onehot(x))  # (N, T, H): the hidden state after every step
        return self.head(self.last(states))  # single output (N, C); sequence output (N, T, C)


def nets(state: dict[str, Tensor], hidden: int, per_step: bool = False) -> dict[str, SequenceNet]:
    """The three trained networks from one state dict whose keys start with the cell ("LSTM.head.weight")."""
    out = {}
    for cell in CELLS:
        own = {k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(f"{cell}.")}
        out[cell] = weights.into(SequenceNet(cell, hidden, per_step), own)  # type: ignore[assignment]
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
    w_x, w_h = lstm.weight_ih_l0, lstm.weight_hh_l0  # (4H, D), (4H, H): blocks of rows i, f, g, o
    b = lstm.bias_ih_l0 + lstm.bias_hh_l0  # (4H,)
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
    and all 256 at once peaked near 60 MB.
    """
    return torch.cat([_step_norms(net, xs, ys) for xs, ys in zip(x.split(chunk), y.split(chunk))]).mean(dim=0).numpy()


def _step_norms(net: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """(N, T) ‖∂loss/∂x_t‖ of each sequence: its gradient depends on it alone, so chunks give the same numbers."""
    inputs = F.one_hot(x, VOCAB).float().requires_grad_()  # (N, T, V)
    with torch.enable_grad():
        loss = F.cross_entropy(net(inputs), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, inputs)  # (N, T, V)
    return grad.norm(dim=2)
