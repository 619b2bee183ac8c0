"""A tiny Transformer written out (slide 70): tokens, sinusoidal positions, masked multi-head self-attention.

The task is one a student can read: **reverse a word** of 2 to 10 capital letters. Two ways to
pose it show the slide's "encoder-only vs decoder-only":

* aligned (encoder-only, like BERT): the network reads `HELLO·····` (padded with `·`) and writes one
  token per position, `OLLEH·····`. Position 0 must read the word's last letter, so every position
  must see every other one: a **full** attention mask. With a **causal** mask (each position sees
  only itself and the past) the same network cannot do it: the answer lies in the future.
* generated (decoder-only, like GPT): the network reads `·····HELLO=` and writes the answer one token at
  a time, each written token fed back as the next input (greedy generation), ending with `·`. Its
  mask is causal, and that is no obstacle here: when it writes, the whole word is in the past.

Every piece is plain PyTorch: `positional_encoding`, `causal_mask`, `SelfAttention` (scores,
mask, softmax, weighted sum, in four lines) and `Block` (pre-norm attention + MLP with residuals).
`Transformer.attend(x)` returns the logits AND every layer's and head's attention weights, so
the pictures on the page are the numbers the forward pass used. Training goes through the app's
one trainer (`core.training.fit`): inputs (N, T) int64 token ids, outputs (N, T, V) logits, y (N, T).

`Recipe`, `build(recipe)`, `train(recipe, on_progress) -> Trained` (the model, its curves and its
scores on held-out words) and `shipped(asset(design)) -> Trained` (the four designs' files in
`assets/zoo/`, made by `SHIPPED`) are the zoo's model source; what the page runs on a trained
model is in `core.zoo.transformer_lab`.
"""
from __future__ import annotations

import math
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from core.data import Dataset
from core.device import generator
from core.progress import Progress, report
from core.training import Snapshot, TrainConfig, check_batch_size, fit, partial
from core.zoo import weights
from core.zoo.recipe import check_seed, fixed_lr_remedy

LETTERS = string.ascii_uppercase
PAD, SEP = "·", "="  # padding / "nothing more" (also the end of an answer), and "now answer" for the decoder
VOCAB = PAD + SEP + LETTERS  # token id = index in this string
MIN_LEN, MAX_LEN = 2, 10  # letters per word
ENCODER_T = MAX_LEN  # the aligned task's sequence length
DECODER_T = 2 * MAX_LEN + 1  # ·····WORD=DROW····· has 2 * MAX_LEN + 2 tokens; inputs drop the last one
N_VAL, VAL_SEED = 1000, 1234  # the held-out words every model is measured on, the same for all


def check_word(text: str) -> str:
    """`text` stripped and upper-cased, or a ValueError that says what is wrong with it."""
    word = text.strip().upper()
    if not MIN_LEN <= len(word) <= MAX_LEN:
        raise ValueError(f"Type between {MIN_LEN} and {MAX_LEN} letters (you typed {len(word)}).")
    bad = sorted({c for c in word if c not in LETTERS})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        which = f"{shown} is not a letter" if len(bad) == 1 else f"{shown} are not letters"
        raise ValueError(f"Use only the letters A to Z (no spaces, digits or accents): {which}.")
    return word


def encode(text: str, length: int) -> Tensor:
    """Characters of VOCAB -> (length,) int64 token ids, padded with PAD on the right."""
    if len(text) > length or any(c not in VOCAB for c in text):
        raise ValueError(f"{text!r} does not fit in {length} tokens of the vocabulary {VOCAB!r}.")
    return torch.tensor([VOCAB.index(c) for c in text.ljust(length, PAD)], dtype=torch.long)


def decode(ids: Tensor | list[int]) -> str:
    return "".join(VOCAB[int(i)] for i in ids)


# --- the architecture --------------------------------------------------------------------------------------------
def positional_encoding(length: int, d_model: int) -> Tensor:
    """(length, d_model): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)).

    Each pair of dimensions is a clock ticking at its own speed, from one turn every 2π positions
    down to very slow ones: together they give each position a unique pattern, and a shift by k
    positions is the same rotation everywhere (attention can learn "k to the left").
    """
    position = torch.arange(length, dtype=torch.float32)[:, None]  # (T, 1)
    speed = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)  # (D/2,)
    pe = torch.zeros(length, d_model)
    pe[:, 0::2] = torch.sin(position * speed)
    pe[:, 1::2] = torch.cos(position * speed[: d_model // 2])
    return pe


def causal_mask(length: int) -> Tensor:
    """(T, T) bool, True where query position i may attend to key position j: j <= i (no peeking ahead)."""
    return torch.ones(length, length, dtype=torch.bool).tril()


def full_mask(length: int) -> Tensor:
    """(T, T) bool, all True: every position sees every position (an encoder's self-attention)."""
    return torch.ones(length, length, dtype=torch.bool)


class SelfAttention(nn.Module):
    """Multi-head self-attention: each head compares queries with keys and mixes values by the result."""

    def __init__(self, d_model: int, heads: int):
        super().__init__()
        if d_model % heads:
            raise ValueError(f"The model width ({d_model}) must divide evenly into {heads} heads.")
        self.heads = heads
        self.qkv = nn.Linear(d_model, 3 * d_model)  # queries, keys and values of all heads in one matrix
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """x (N, T, D), mask (T, T) bool -> (output (N, T, D), attention weights (N, H, T, T))."""
        N, T, D = x.shape
        q, k, v = self.qkv(x).view(N, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)  # 3 x (N, H, T, D/H)
        scores = q @ k.transpose(-2, -1) / math.sqrt(D // self.heads)  # (N, H, T, T): query i vs key j
        scores = scores.masked_fill(~mask, float("-inf"))  # forbidden pairs get weight exp(-inf) = 0
        weights = torch.softmax(scores, dim=-1)  # (N, H, T, T): each row sums to 1 over the keys
        mixed = (weights @ v).transpose(1, 2).reshape(N, T, D)  # (N, T, D): heads side by side again
        return self.out(mixed), weights


class Block(nn.Module):
    """One Transformer layer: x + attention(norm(x)), then x + MLP(norm(x)) (pre-norm, as GPT-2)."""

    def __init__(self, d_model: int, heads: int, hidden: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attention = SelfAttention(d_model, heads)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, hidden), nn.GELU(), nn.Linear(hidden, d_model))

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        mixed, weights = self.attention(self.norm1(x), mask)
        x = x + mixed  # (N, T, D): tokens exchange information only here
        return x + self.mlp(self.norm2(x)), weights  # the MLP works on each position alone


@dataclass(frozen=True)
class Spec:
    """What rebuilds a model: its sizes, its mask (causal or full) and whether positions are encoded."""

    length: int = ENCODER_T  # tokens per input
    d_model: int = 48
    heads: int = 2
    layers: int = 2
    causal: bool = False
    positions: bool = True  # add the sinusoidal positional encoding to the token embeddings

    def __post_init__(self) -> None:
        if not 1 <= self.layers <= 4 or not 1 <= self.heads <= 8:
            raise ValueError("A tiny Transformer here has 1 to 4 layers and 1 to 8 heads.")
        if self.d_model % (2 * self.heads):
            raise ValueError(f"The width ({self.d_model}) must be an even multiple of the number of heads "
                             f"({self.heads}).")


class Transformer(nn.Module):
    """Token embedding + positional encoding -> `layers` Blocks -> norm -> a score for every token of VOCAB."""

    pe: Tensor  # buffers (registered in __init__), typed for the checker
    mask: Tensor

    def __init__(self, spec: Spec, generator: torch.Generator | None = None):
        super().__init__()
        self.spec = spec
        self.embed = nn.Embedding(len(VOCAB), spec.d_model)
        self.blocks = nn.ModuleList(Block(spec.d_model, spec.heads, 4 * spec.d_model) for _ in range(spec.layers))
        self.norm = nn.LayerNorm(spec.d_model)
        self.head = nn.Linear(spec.d_model, len(VOCAB))
        pe = (positional_encoding(spec.length, spec.d_model) if spec.positions
              else torch.zeros(spec.length, spec.d_model))
        self.register_buffer("pe", pe, persistent=False)  # fixed, not learned: rebuilt, never saved
        mask = causal_mask(spec.length) if spec.causal else full_mask(spec.length)
        self.register_buffer("mask", mask, persistent=False)
        for name, p in self.named_parameters():  # seeded init from the trainer's generator
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() > 1:
                std = 1.0 if name == "embed.weight" else 0.5 / math.sqrt(p.shape[1])
                nn.init.normal_(p, std=std, generator=generator)

    def attend(self, tokens: Tensor) -> tuple[Tensor, Tensor]:
        """tokens (N, T) int64, T <= spec.length -> (logits (N, T, V), attention weights (N, L, H, T, T))."""
        T = tokens.shape[1]
        x = self.embed(tokens) + self.pe[:T]  # (N, T, D)
        maps = []
        for block in self.blocks:
            x, weights = block(x, self.mask[:T, :T])
            maps.append(weights)
        return self.head(self.norm(x)), torch.stack(maps, dim=1)

    def forward(self, tokens: Tensor) -> Tensor:
        return self.attend(tokens)[0]  # (N, T, V): classes last, as the trainer's dense outputs want


# --- the task ----------------------------------------------------------------------------------------------------
def random_words(n: int, seed: int) -> list[str]:
    """`n` random words of MIN_LEN..MAX_LEN letters (uniform length, uniform letters), seeded."""
    g = generator(seed)
    lengths = torch.randint(MIN_LEN, MAX_LEN + 1, (n,), generator=g).tolist()
    letters = torch.randint(0, len(LETTERS), (n, MAX_LEN), generator=g).tolist()
    return ["".join(LETTERS[i] for i in row[:k]) for row, k in zip(letters, lengths)]


def aligned_pairs(words: list[str]) -> tuple[Tensor, Tensor]:
    """The encoder's task: x (N, MAX_LEN) = WORD·····, y (N, MAX_LEN) = DROW····· (position by position)."""
    return (torch.stack([encode(w, ENCODER_T) for w in words]),
            torch.stack([encode(w[::-1], ENCODER_T) for w in words]))


def prompt(word: str) -> str:
    """The decoder's prompt: the word left-padded to MAX_LEN, then SEP (`·····HELLO=`).

    Padding on the left (as batched GPT generation does) puts `=` at the same position for every
    word, so the answer's k-th letter always sits at the same distance from where it is written.
    """
    return word.rjust(MAX_LEN, PAD) + SEP


def generation_pairs(words: list[str]) -> tuple[Tensor, Tensor]:
    """The decoder's task, next-token prediction on `·····HELLO=OLLEH·····`: x (N, DECODER_T), y = x shifted by one.

    Before `=` nothing can be predicted (the word is random), so those targets are PAD: the loss
    and the accuracy count the answer and its end. A causal model can tell: it sees whether `=` came.
    """
    seqs = torch.stack([encode(prompt(w) + w[::-1], DECODER_T + 1) for w in words])  # (N, T + 1)
    x, y = seqs[:, :-1], seqs[:, 1:].clone()
    y[:, : MAX_LEN] = VOCAB.index(PAD)
    return x, y


def split_words(n_train: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """(training words, held-out words): N_VAL fixed validation words, and `n_train` others never equal to one."""
    held_out = random_words(N_VAL, VAL_SEED)
    banned = set(held_out)
    return [w for w in random_words(n_train, seed) if w not in banned], held_out


def dataset(task: str, n_train: int, seed: int = 0) -> Dataset:
    """Reversal data for the trainer: task "aligned" (encoder) or "generate" (decoder), on new validation words."""
    pairs = {"aligned": aligned_pairs, "generate": generation_pairs}[task]
    train_words, val_words = split_words(n_train, seed)
    (x, y), (xv, yv) = pairs(train_words), pairs(val_words)
    return Dataset(f"reverse ({task})", x, y, xv, yv, len(VOCAB), tuple(f"position {i}" for i in range(x.shape[1])),
                   tuple(VOCAB))


# --- four designs, one recipe, the shipped weights ---------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    label: str
    task: str  # "aligned" (one output per input position) or "generate" (next-token prediction)
    causal: bool
    positions: bool


DESIGNS = {
    "encoder": Design("encoder-only (full mask)", "aligned", causal=False, positions=True),
    "causal": Design("causal mask on the encoder's task", "aligned", causal=True, positions=True),
    "nopos": Design("encoder without positional encoding", "aligned", causal=False, positions=False),
    "decoder": Design("decoder-only (causal mask, generates)", "generate", causal=True, positions=True),
}
MAX_EPOCHS = 20


@dataclass(frozen=True)
class Recipe:
    """A design, its size and how to train it (AdamW with a one-cycle schedule); the shipped files use the defaults.

    The decoder's recipe depends on its seed (another seed than the shipped 0 can leave it far from the task);
    the encoder's does not (tests/zoo/test_seeds_zoo_b.py says which seeds were measured by hand).
    """

    design: str = "encoder"
    layers: int = 2
    heads: int = 2
    d_model: int = 32
    epochs: int = 10
    n_train: int = 4000  # training words
    lr: float = 0.005  # the peak of the one-cycle schedule
    batch_size: int = 64
    seed: int = 0  # the words, the initial weights and the shuffling
    code_version: int = 3  # 2: a student's result carries its facts; 3: a blown-up loss names this page's controls

    def __post_init__(self) -> None:
        if self.design not in DESIGNS:
            raise ValueError(f"Unknown design {self.design!r}: choose one of {', '.join(DESIGNS)}.")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"Train for 1 to {MAX_EPOCHS} epochs.")
        if not 100 <= self.n_train <= 8000:
            raise ValueError("Use between 100 and 8,000 training words.")
        check_batch_size(self.batch_size, self.n_train, "words")
        check_seed(self.seed)
        self.spec()  # sizes checked by Spec

    def spec(self) -> Spec:
        d = DESIGNS[self.design]
        return Spec(length=ENCODER_T if d.task == "aligned" else DECODER_T, d_model=self.d_model, heads=self.heads,
                    layers=self.layers, causal=d.causal, positions=d.positions)

    def train_config(self) -> TrainConfig:
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, optimizer="adamw",
                           scheduler="OneCycleLR", seed=self.seed)


# CPU seconds measured on the app's 2-core machine with one torch thread (time.process_time()
# around train(Recipe(...)) with a progress callback, 2026-12-03): what a run alone on a free core takes.
# One epoch of 4,000 words on the encoder's task: 0.88 s with 1 layer, 1.10 s with 2, 1.65 s with 3 (4 heads):
# 0.45 s plus 0.38 s per layer; the decoder's sequences are DECODER_T / ENCODER_T = 2.1 times as long, and
# its epoch took 2.34 s with 2 layers (2.1 times the encoder's).
EPOCH_SECONDS = (0.45, 0.38)


def expected_seconds(recipe: Recipe) -> float:
    """Training time of `recipe` on a free CPU core, scaled from measured runs by epochs, layers and length."""
    base, per_layer = EPOCH_SECONDS
    length = ENCODER_T if DESIGNS[recipe.design].task == "aligned" else DECODER_T
    return recipe.epochs * (base + per_layer * recipe.layers) * recipe.n_train / 4000 * length / ENCODER_T


def build(recipe: Recipe, g: torch.Generator | None = None) -> Transformer:
    return Transformer(recipe.spec(), g)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@dataclass
class Trained:
    """A trained Transformer: its recipe, its weights (eval mode), its curves and its held-out scores."""

    recipe: Recipe
    model: Transformer  # None only in a partial result while training (see training.partial)
    history: pd.DataFrame  # variant (the design's label), epoch, split, metric, value
    scores: dict[str, Any]  # token_accuracy, letter_accuracy, word_accuracy, by_position: see `score`
    parameters: int
    message: str  # what the trainer had to say (a blown-up loss), or ""
    seconds: float  # what training took
    asset: str | None = None  # the shipped file it was read from (None: trained here)

    @property
    def shipped(self) -> bool:
        return self.asset is not None


def train(recipe: Recipe, on_progress: Progress[Trained] | None = None, device: torch.device | None = None
          ) -> Trained:
    """Train `recipe` through the one trainer on its task's words and score it on the fixed held-out words.

    The partial result while training carries the curves so far (no model, no scores yet).
    """
    data = dataset(DESIGNS[recipe.design].task, recipe.n_train, recipe.seed)
    name = DESIGNS[recipe.design].label

    def progress(fraction: float, snap: Snapshot) -> None:
        report(on_progress, fraction, partial(Trained, recipe=recipe, history=snap.history, scores={}, parameters=0,
                                               message="", seconds=0.0))

    # The page sets design, layers, heads, epochs and seed, not the learning rate: a loss that blows up names those.
    remedy = fixed_lr_remedy(recipe.lr, "try another seed or fewer layers", "peak learning rate")
    result = fit(lambda g: build(recipe, g), data, recipe.train_config(), device=device,
                 on_progress=progress if on_progress else None, progress_every=1, name=name, remedy=remedy)
    model = weights.into(build(recipe), {k: torch.as_tensor(v) for k, v in result.states[name].items()})
    scores = score(model, split_words(recipe.n_train, recipe.seed)[1])
    return Trained(recipe, model, result.history, scores, n_params(model), next(iter(result.messages.values()), ""),
                   result.seconds)


# --- what a model writes, and how often it is right ---------------------------------------------------------------
@torch.no_grad()
def greedy(model: Transformer, prompts: Tensor, steps: int) -> tuple[Tensor, Tensor]:
    """Greedy generation: append the most likely next token `steps` times, each fed back as input.

    prompts (N, P) int64 -> (written tokens (N, steps), the probabilities each step chose from (N, steps, V)).
    Causal attention makes the last position's output depend on the past only, so this equals what
    the model predicted for that position during training.
    """
    seq, probs = prompts, []
    for _ in range(steps):
        p = torch.softmax(model(seq)[:, -1], dim=-1)  # (N, V): the next token's distribution
        probs.append(p)
        seq = torch.cat([seq, p.argmax(dim=-1, keepdim=True)], dim=1)
    return seq[:, prompts.shape[1] :], torch.stack(probs, dim=1)


@torch.no_grad()
def answers(model: Transformer, words: list[str]) -> Tensor:
    """(N, MAX_LEN) tokens each model writes as its answer, to compare with DROW·····.

    Aligned: one forward pass, the best token at each position. Generate: greedy from `·····WORD=`.
    """
    model.eval()
    if model.spec.length == ENCODER_T:
        return model(aligned_pairs(words)[0]).argmax(dim=-1)
    prompts = torch.stack([encode(prompt(w), MAX_LEN + 1) for w in words])  # (N, MAX_LEN + 1)
    return greedy(model, prompts, MAX_LEN)[0]


def score(model: Transformer, words: list[str]) -> dict[str, object]:
    """Token, letter and word accuracy of `model` on `words`, and the letter accuracy at each answer position."""
    wrote = answers(model, words)
    target = aligned_pairs(words)[1]  # (N, MAX_LEN): DROW·····
    right = wrote == target
    is_letter = target != VOCAB.index(PAD)
    by_position = (right & is_letter).sum(0) / is_letter.sum(0).clamp(min=1)  # (MAX_LEN,)
    return {"token_accuracy": right.float().mean().item(), "letter_accuracy": right[is_letter].float().mean().item(),
            "word_accuracy": right.all(dim=1).float().mean().item(), "by_position": by_position.tolist()}


# --- shipped files ------------------------------------------------------------------------------------------------
def asset(design: str) -> str:
    return f"transformer_{design}"


def _curves(history: pd.DataFrame) -> dict[str, list[float]]:
    """The trainer's tidy history as {"train loss": [...], "validation accuracy": [...], ...} for a file's meta."""
    return {f"{split} {metric}": [round(float(v), 5) for v in rows.sort_values("epoch").value]
            for (split, metric), rows in history.groupby(["split", "metric"])}


def curves_frame(curves: dict[str, list[float]], variant: str) -> pd.DataFrame:
    """`_curves` back to tidy rows: variant, epoch, split, metric, value."""
    rows = [(variant, epoch, *key.split(" "), value)
            for key, values in curves.items() for epoch, value in enumerate(values)]
    return pd.DataFrame(rows, columns=["variant", "epoch", "split", "metric", "value"])


def _rounded(value: Any) -> Any:
    return [round(v, 5) for v in value] if isinstance(value, list) else round(value, 5)


def _maker(design: str) -> Callable[[bool], tuple[nn.Module, dict]]:
    def make(quick: bool) -> tuple[nn.Module, dict]:
        recipe = Recipe(design=design, epochs=1, n_train=256) if quick else Recipe(design=design)
        trained = train(recipe, device=torch.device("cpu"))
        meta = {"task": "reverse a word of 2-10 letters",
                **{k: v for k, v in vars(recipe).items() if k != "code_version"},
                "parameters": trained.parameters, "history": _curves(trained.history),
                **{f"val_{k}": _rounded(v) for k, v in trained.scores.items()}}
        return trained.model, meta
    return make


SHIPPED = {asset(d): _maker(d) for d in DESIGNS}
DEFAULT_ASSET = asset("encoder")
SCORES = ("token_accuracy", "letter_accuracy", "word_accuracy", "by_position")


def shipped(name: str = DEFAULT_ASSET) -> Trained:
    """The shipped model `name` (`asset(design)`), read from assets/zoo/ (no training), with what its meta
    recorded when it was made: its curves, its held-out scores and how long it took."""
    if name not in SHIPPED:
        raise ValueError(f"No shipped Transformer called {name!r}: choose one of {', '.join(SHIPPED)}.")
    state, meta = weights.load(name)
    recipe = Recipe(**{k: meta[k] for k in ("design", "layers", "heads", "d_model", "epochs", "n_train", "lr",
                                             "batch_size", "seed")})
    history = curves_frame(meta["history"], DESIGNS[recipe.design].label)
    return Trained(recipe, weights.into(build(recipe), state), history, {k: meta[f"val_{k}"] for k in SCORES},
                   int(meta["parameters"]), "", float(meta.get("seconds_to_make") or 0), name)


def shipped_parameters(design: str = "encoder") -> int:
    """The weights of a shipped model, as its file's meta counted them (no model is built)."""
    return int(weights.load(asset(design))[1]["parameters"])
