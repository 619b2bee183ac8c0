"""A tiny encoder-decoder Transformer (slide 70): the encoder reads a word, the decoder writes it reversed.

The original Transformer's shape: an encoder (full self-attention over `WORD·····`) and a decoder
(causal self-attention over what it wrote so far, then **cross-attention**: its queries meet the
encoder's keys and values). To write answer letter i (from 1) the decoder must read the word's
position n - i (from 0), so a cross-attention head that learned the task draws the anti-diagonal of the word.

The trainer (`core.training.fit`) takes one input tensor: each sample packs the source and the
decoder's input side by side, x (N, ENCODER_T + ANSWER_T) = `WORD·····` + `=DROW······`, and the
targets are the answer shifted by one, y (N, ANSWER_T) = `DROW·······` (teacher forcing).
`python -m core.zoo --only transformer_seq2seq` makes the shipped file; `translate` reads a word.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from core.data import Dataset
from core.progress import Progress
from core.training import TrainConfig, fit
from core.zoo import weights
from core.zoo.transformer import (
    ENCODER_T,
    MAX_LEN,
    PAD,
    SEP,
    VOCAB,
    Block,
    SelfAttention,
    causal_mask,
    check_word,
    encode,
    full_mask,
    n_params,
    positional_encoding,
    split_words,
)

ASSET = "transformer_seq2seq"
ANSWER_T = MAX_LEN + 1  # the decoder writes up to 10 letters and the end token


class CrossAttention(nn.Module):
    """Multi-head attention whose queries come from the decoder and whose keys and values come from the encoder."""

    def __init__(self, d_model: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x: Tensor, memory: Tensor) -> tuple[Tensor, Tensor]:
        """x (N, T, D) decoder states, memory (N, S, D) encoder outputs -> (output (N, T, D), weights (N, H, T, S))."""
        N, T, D = x.shape
        d = D // self.heads
        q = self.q(x).view(N, T, self.heads, d).transpose(1, 2)  # (N, H, T, d)
        k, v = self.kv(memory).view(N, -1, 2, self.heads, d).permute(2, 0, 3, 1, 4)  # 2 x (N, H, S, d)
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d), dim=-1)  # (N, H, T, S): output i vs input j
        return self.out((weights @ v).transpose(1, 2).reshape(N, T, D)), weights


class DecoderBlock(nn.Module):
    """Causal self-attention, then cross-attention to the encoder, then an MLP, each pre-norm with a residual."""

    def __init__(self, d_model: int, heads: int, hidden: int):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model) for _ in range(3))
        self.attention = SelfAttention(d_model, heads)
        self.cross = CrossAttention(d_model, heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, hidden), nn.GELU(), nn.Linear(hidden, d_model))

    def forward(self, x: Tensor, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        x = x + self.attention(self.norm1(x), mask)[0]
        mixed, weights = self.cross(self.norm2(x), memory)
        x = x + mixed  # the only place the decoder reads the word
        return x + self.mlp(self.norm3(x)), weights


@dataclass(frozen=True)
class Recipe:
    """The encoder-decoder's sizes and training (AdamW, one-cycle, as the other Transformers here)."""

    layers: int = 1  # encoder layers, and decoder layers
    heads: int = 2
    d_model: int = 32
    epochs: int = 10
    n_train: int = 4000
    lr: float = 0.005
    batch_size: int = 64
    seed: int = 0
    code_version: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.layers <= 3 or self.d_model % (2 * self.heads):
            raise ValueError("Use 1 to 3 layers and a width that is an even multiple of the number of heads.")


class EncoderDecoder(nn.Module):
    """Token embedding shared by both sides + positions -> encoder Blocks; decoder blocks -> token scores."""

    pe: Tensor
    mask: Tensor

    def __init__(self, recipe: Recipe, generator: torch.Generator | None = None):
        super().__init__()
        D, H = recipe.d_model, recipe.heads
        self.embed = nn.Embedding(len(VOCAB), D)
        self.encoder = nn.ModuleList(Block(D, H, 4 * D) for _ in range(recipe.layers))
        self.decoder = nn.ModuleList(DecoderBlock(D, H, 4 * D) for _ in range(recipe.layers))
        self.norm_enc, self.norm = nn.LayerNorm(D), nn.LayerNorm(D)
        self.head = nn.Linear(D, len(VOCAB))
        self.register_buffer("pe", positional_encoding(max(ENCODER_T, ANSWER_T), D), persistent=False)
        self.register_buffer("mask", causal_mask(ANSWER_T), persistent=False)
        for name, p in self.named_parameters():  # the same seeded init as core.zoo.transformer.Transformer
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() > 1:
                nn.init.normal_(p, std=1.0 if name == "embed.weight" else 0.5 / math.sqrt(p.shape[1]),
                                generator=generator)

    def attend(self, source: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """source (N, S), target (N, T) -> (logits (N, T, V), cross-attention weights (N, L, H, T, S))."""
        S, T = source.shape[1], target.shape[1]
        memory = self.embed(source) + self.pe[:S]
        for block in self.encoder:
            memory = block(memory, full_mask(S))[0]
        memory = self.norm_enc(memory)
        x, maps = self.embed(target) + self.pe[:T], []
        for block in self.decoder:
            x, weights = block(x, memory, self.mask[:T, :T])
            maps.append(weights)
        return self.head(self.norm(x)), torch.stack(maps, dim=1)

    def forward(self, packed: Tensor) -> Tensor:
        return self.attend(packed[:, :ENCODER_T], packed[:, ENCODER_T:])[0]  # (N, ANSWER_T, V)


def pairs(words: list[str]) -> tuple[Tensor, Tensor]:
    """x (N, ENCODER_T + ANSWER_T) = WORD····· + =DROW······ (source, decoder input), y (N, ANSWER_T) = DROW·······."""
    source = torch.stack([encode(w, ENCODER_T) for w in words])
    answer = torch.stack([encode(SEP + w[::-1], ANSWER_T + 1) for w in words])  # =DROW then padding
    return torch.cat([source, answer[:, :-1]], dim=1), answer[:, 1:]


@torch.no_grad()
def write(model: EncoderDecoder, words: list[str]) -> tuple[list[str], Tensor]:
    """Greedy answers (letters up to the end token) and the cross-attention of the last step (N, L, H, T, S)."""
    source = torch.stack([encode(w, ENCODER_T) for w in words])
    target = torch.full((len(words), 1), VOCAB.index(SEP))
    for _ in range(ANSWER_T - 1):
        logits, _ = model.attend(source, target)
        target = torch.cat([target, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    _, maps = model.attend(source, target[:, :-1])  # (N, L, H, T, S): each written position's reading
    texts = ["".join(VOCAB[int(i)] for i in row[1:]).split(PAD)[0] for row in target]
    return texts, maps


def anti_diagonal(maps: Tensor, words: list[str]) -> float:
    """Share of (word, answer letter) pairs whose cross-attention, averaged over layers and heads, peaks on the
    letter to copy: answer letter i (from 1) reads source position n - i (from 0)."""
    hits, total = 0, 0
    peaks = maps.mean(dim=(1, 2)).argmax(dim=-1)  # (N, T)
    for row, word in zip(peaks, words):
        n = len(word)
        hits += int((row[:n] == torch.arange(n - 1, -1, -1)).sum())
        total += n
    return hits / total


def score(model: EncoderDecoder, words: list[str]) -> dict[str, float]:
    texts, maps = write(model, words)
    return {"word_accuracy": float(np.mean([t == w[::-1] for t, w in zip(texts, words)])),
            "anti_diagonal": anti_diagonal(maps, words)}


def make(quick: bool) -> tuple[nn.Module, dict]:
    """Train the shipped encoder-decoder (quick: a tiny budget for the tests) and measure it on the held-out words."""
    recipe = Recipe(epochs=1, n_train=256) if quick else Recipe()
    train_words, held_out = split_words(recipe.n_train, recipe.seed)
    (x, y), (xv, yv) = pairs(train_words), pairs(held_out)
    data = Dataset("reverse (encoder-decoder)", x, y, xv, yv, len(VOCAB),
                   tuple(f"position {i}" for i in range(x.shape[1])), tuple(VOCAB))
    config = TrainConfig(epochs=recipe.epochs, batch_size=recipe.batch_size, lr=recipe.lr, optimizer="adamw",
                         scheduler="OneCycleLR", seed=recipe.seed)
    result = fit(lambda g: EncoderDecoder(recipe, g), data, config, device=torch.device("cpu"), name="seq2seq")
    model = weights.into(EncoderDecoder(recipe), {k: torch.as_tensor(v) for k, v in result.states["seq2seq"].items()})
    scores = score(model, held_out[:N_SCORED])
    meta = {"task": "reverse a word of 2-10 letters, encoder-decoder",
            **{k: v for k, v in vars(recipe).items() if k != "code_version"}, "parameters": n_params(model),
            "n_scored": N_SCORED, **{f"val_{k}": round(v, 5) for k, v in scores.items()}}
    return model, meta


N_SCORED = 500  # held-out words the file's meta scores (greedy decoding, ANSWER_T passes each)
SHIPPED = {ASSET: make}


@dataclass
class Trained:
    recipe: Recipe
    model: EncoderDecoder
    scores: dict[str, float]  # word_accuracy, anti_diagonal: measured on N_SCORED held-out words when it was made
    parameters: int


def shipped(name: str = ASSET, on_progress: Progress[Trained] | None = None) -> Trained:
    """The shipped encoder-decoder, read from assets/zoo/ (no training)."""
    state, meta = weights.load(name)
    recipe = Recipe(**{k: meta[k] for k in ("layers", "heads", "d_model", "epochs", "n_train", "lr", "batch_size",
                                             "seed")})
    return Trained(recipe, weights.into(EncoderDecoder(recipe), state),
                   {k: meta[f"val_{k}"] for k in ("word_accuracy", "anti_diagonal")}, int(meta["parameters"]))


# --- one word through the shipped model ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Translate:
    word: str = "SEQUENCE"
    code_version: int = 2  # 2: the answer letters counted from 1

    def __post_init__(self) -> None:
        check_word(self.word)


@dataclass(frozen=True)
class TranslateFacts:
    wrote: str
    expected: str
    right: bool
    anti_diagonal: float  # this word: share of answer letters whose cross-attention peaks on the letter to copy
    held_out_words: float  # the shipped model's exact-match accuracy on held-out words
    held_out_anti_diagonal: float
    n_scored: int


@dataclass
class TranslateResult:
    cross: pd.DataFrame  # output (position and letter written), input (position and letter), weight
    facts: TranslateFacts


def translate(cfg: Translate, trained: Trained, on_progress: Progress[TranslateResult] | None = None
              ) -> TranslateResult:
    """The word through the encoder-decoder: what it wrote and its cross-attention, averaged over layers and heads."""
    word = check_word(cfg.word)
    [wrote], maps = write(trained.model, [word])
    n_out = min(len(wrote) + 1, ANSWER_T - 1)  # the letters and the end token (the maps have 10 rows)
    cross = maps[0].mean(dim=(0, 1))[:n_out].numpy()  # (T, S)
    source = encode(word, ENCODER_T)
    written = (wrote + PAD)[:n_out]
    out, inp = np.meshgrid(np.arange(n_out), np.arange(ENCODER_T), indexing="ij")
    frame = pd.DataFrame({"output": [f"{i + 1} {written[i]}" for i in out.ravel()], "output position": out.ravel(),
                          "answer letter": out.ravel() + 1,  # counted from 1, as section 2 counts them
                          "input": [f"{j} {VOCAB[int(source[j])]}" for j in inp.ravel()],
                          "input position": inp.ravel(), "weight": cross.ravel()})
    facts = TranslateFacts(wrote, word[::-1], wrote == word[::-1], anti_diagonal(maps, [word]),
                           trained.scores["word_accuracy"], trained.scores["anti_diagonal"], N_SCORED)
    return TranslateResult(frame, facts)
