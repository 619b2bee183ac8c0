"""The long-range memory task of the RNN / LSTM page, made in code: recall the first symbol after N distractors.

A sequence starts with one of four **symbols** (A, B, C, D) and goes on with `length - 1` random
**distractors** (w, x, y, z), e.g. `C w z z x y w ... x`. The answer is the first symbol: to give it
at the end, a network must carry one token's worth of information across every distractor. Chance
is 25%. The sequences are token ids (N, T) int64; the networks read them one-hot.

Two kinds of target, one per kind of output (slide 69):
* single output: y (N,), the first symbol, answered once after the last step (like a sentiment);
* sequence output: y (N, T), the first symbol again at every step, answered after each step
  (like next-word prediction: one answer per step).

Everything is seeded: the same (n, length, seed) gives the same tensors on every machine.
"""
from __future__ import annotations

import torch
from torch import Tensor

from core.data import Dataset
from core.device import generator

SYMBOLS = "ABCD"  # what must be remembered: the classes
DISTRACTORS = "wxyz"  # what comes in between
ALPHABET = SYMBOLS + DISTRACTORS  # token id = position here
VOCAB = len(ALPHABET)
N_CLASSES = len(SYMBOLS)
MIN_LENGTH, MAX_LENGTH = 2, 120


def check_length(length: int) -> None:
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"A sequence has between {MIN_LENGTH} and {MAX_LENGTH} tokens (the first symbol and "
                         "its distractors).")


def recall(n: int, length: int, seed: int, per_step: bool = False) -> tuple[Tensor, Tensor]:
    """n sequences of `length` tokens: x (n, length) int64 ids; y (n,) the first symbol (per step: (n, length))."""
    check_length(length)
    g = generator(seed)
    first = torch.randint(0, N_CLASSES, (n,), generator=g)  # (n,)
    x = torch.randint(N_CLASSES, VOCAB, (n, length), generator=g)  # (n, T): distractors everywhere ...
    x[:, 0] = first  # ... but at step 0
    return x, first.unsqueeze(1).expand(n, length).clone() if per_step else first


def dataset(length: int, n_train: int, n_val: int, seed: int, per_step: bool = False) -> Dataset:
    """A train and a validation set of the recall task (independent draws: seed and seed + 1)."""
    x_train, y_train = recall(n_train, length, seed, per_step)
    x_val, y_val = recall(n_val, length, seed + 1, per_step)
    return Dataset(f"recall the first of {length} tokens", x_train, y_train, x_val, y_val, N_CLASSES,
                   ("token",), tuple(SYMBOLS))


def encode(text: str) -> Tensor:
    """A typed sequence -> (1, T) token ids, after checking it is a valid recall sequence.

    Spaces are ignored; the first character must be a symbol (A-D), every other one a distractor (w-z).
    """
    tokens = "".join(text.split())
    check_length(len(tokens))
    if tokens[0] not in SYMBOLS:
        raise ValueError(f"The sequence must start with one of the symbols {', '.join(SYMBOLS)} (it starts with "
                         f"{tokens[0]!r}).")
    wrong = sorted(set(tokens[1:]) - set(DISTRACTORS))
    if wrong:
        raise ValueError(f"After the first symbol only the distractors {', '.join(DISTRACTORS)} may follow; "
                         f"{', '.join(repr(c) for c in wrong)} cannot.")
    return torch.tensor([[ALPHABET.index(c) for c in tokens]])


def decode(tokens: Tensor) -> str:
    """(T,) token ids -> the text a student reads, e.g. 'Cwzzx'."""
    return "".join(ALPHABET[int(t)] for t in tokens)


def example(length: int, seed: int) -> str:
    """One sequence of the task as text (what the page's text box starts with)."""
    x, _ = recall(1, length, seed)
    return decode(x[0])
