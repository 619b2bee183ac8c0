"""The Transformer page's numbers, one step at a time (slide 70): one query worked through, and sampling.

`worked`: for the word a student typed, one head of one shipped model and one query position, the
attention written out from the model's own weights: its query vector q, every key k_j, the scores
q·k_j / √d_k, the mask, the softmax, every value v_j and the weighted sum Σ_j w_j v_j, the head's
output at that position (tests check it against the model's own attention module, to 1e-5).

`sample`: the decoder's generation with temperature and top-k instead of always the top token
(`next_distribution`: logits / T, only the k largest kept, softmax; T = 0 is greedy), seeded, with
the distribution it drew each token from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from core.progress import Progress
from core.zoo.source import Source, check
from core.zoo.transformer import (
    MAX_LEN,
    PAD,
    VOCAB,
    Block,
    SelfAttention,
    Trained,
    Transformer,
    asset,
    check_word,
    encode,
    prompt,
)
from core.zoo.transformer_lab import Read, read, reading, source_positions

SHOWN_DIMS = 4  # the first dimensions a table shows of each vector (the chart shows them all)


def _label(position: int, token: str) -> str:
    return f"{position} {token}"  # the attention maps' axis labels: "3 E"


def _vector(values: np.ndarray) -> str:
    """The first SHOWN_DIMS numbers of a vector, as a table cell: "[0.12, -0.40, 1.03, 0.05, …]"."""
    shown = ", ".join(f"{v:.2f}" for v in values[:SHOWN_DIMS])
    return f"[{shown}{', …' if len(values) > SHOWN_DIMS else ''}]"


# --- one query worked through ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Worked:
    """A word, a shipped model, a head (layer and head from 1; 0 and 0: the head that copies best) and the query:
    the position that writes answer letter `letter` (1 = the first one written)."""

    word: str = "ATTENTION"
    source: Source = Source("transformer")
    layer: int = 0
    head: int = 0
    letter: int = 1
    code_version: int = 2  # 2: `majority` (the top key's weight above one half)

    def __post_init__(self) -> None:
        check_word(self.word)
        if (self.layer == 0) != (self.head == 0) or self.layer < 0 or self.head < 0:
            raise ValueError("Pick a layer and a head (both from 1), or neither for the head that copies best.")
        if not 1 <= self.letter <= MAX_LEN:
            raise ValueError(f"Pick an answer letter from 1 to {MAX_LEN}.")


@dataclass(frozen=True)
class WorkedFacts:
    """One query of one head, by the numbers: where it is, what it may read, where its weight went."""

    layer: int
    head: int
    d_k: int  # dimensions of each query, key and value in this head
    query: int  # the query's position
    query_token: str
    letter: int  # the answer letter it writes (1 = first)
    clamped: bool  # the letter asked for lies past the end of what the model read: the last position is shown
    readable: int  # keys the mask lets it read
    positions: int  # keys in all (the tokens the model read)
    top_key: int  # the key with the highest score, hence the highest weight
    top_key_token: str
    top_score: float  # q·k / √d_k of that key
    top_weight: float
    runner_up_weight: float
    majority: bool  # the top key holds more than half the weight: the output is mostly its value, not a blend
    target_key: int | None  # the key holding the letter this position must write (None: it writes padding)
    target_weight: float  # the weight on that key (0 if None)


@dataclass
class WorkedResult:
    tokens: list[str]  # what the model read
    keys: pd.DataFrame  # key, k (first dims), q·k, q·k / √d_k, may read, weight, v (first dims)
    vectors: pd.DataFrame  # vector ("q", "k 3 E", "v 3 E", "output"), kind, dimension, value
    query_vector: np.ndarray  # (d_k,)
    output: np.ndarray  # (d_k,): Σ_j weight_j v_j, this head's output at the query position, before the attention's
    # `out` projection mixes the heads
    weights: np.ndarray  # (S,)
    facts: WorkedFacts


def _attention(model: Transformer, layer: int) -> SelfAttention:
    """Layer `layer`'s (from 0) attention module."""
    block = model.blocks[layer]
    assert isinstance(block, Block)  # a ModuleList's items are typed as Module
    return block.attention


def _input_of(model: Transformer, tokens: Tensor, layer: int) -> Tensor:
    """(S, D): what `layer`'s (from 0) attention reads, as the model computes it: norm1 of the residual stream."""
    seen: list[Tensor] = []
    hook = _attention(model, layer).register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    try:
        with torch.no_grad():
            model(tokens)
    finally:
        hook.remove()
    return seen[0][0]


def worked(cfg: Worked, trained: Trained, on_progress: Progress[WorkedResult] | None = None) -> WorkedResult:
    """The attention of one query in one head written out with the model's weights (layer and head from 1;
    none asked: the head that copies best for this word, as section 2's notice names it)."""
    check(cfg.source, trained)
    model, word, kind = trained.model, check_word(cfg.word), trained.recipe.design
    if cfg.layer:
        layer, head = cfg.layer, cfg.head
    else:
        best = read(Read(word, cfg.source), trained).copy_facts
        layer, head = best.copy_layer, best.copy_head
    spec = model.spec
    if not (1 <= layer <= spec.layers and 1 <= head <= spec.heads):
        raise ValueError(f"This model has {spec.layers} layers of {spec.heads} heads: layer {layer}, head {head} "
                         "is not one of them.")
    tokens, _, _ = reading(model, word)
    S, D = tokens.shape[1], spec.d_model
    d_k = D // spec.heads
    queries, targets = source_positions(kind, len(word))
    wanted = int(source_positions(kind, MAX_LEN)[0][cfg.letter - 1])  # the position that writes that letter
    query = min(wanted, S - 1)
    x = _input_of(model, tokens, layer - 1)  # (S, D)
    qkv = _attention(model, layer - 1).qkv
    W, b = qkv.weight, qkv.bias  # (3D, D), (3D,)
    rows = [slice(part * D + (head - 1) * d_k, part * D + head * d_k) for part in range(3)]  # q, k, v of this head
    with torch.no_grad():
        q = x[query] @ W[rows[0]].T + b[rows[0]]  # (d_k,)
        k = x @ W[rows[1]].T + b[rows[1]]  # (S, d_k): one key per position
        v = x @ W[rows[2]].T + b[rows[2]]  # (S, d_k): one value per position
        dots = k @ q  # (S,): q·k_j
        scaled = dots / math.sqrt(d_k)
        allowed = model.mask[query, :S]  # (S,) bool: the causal mask hides the keys after the query
        weights = torch.softmax(scaled.masked_fill(~allowed, float("-inf")), dim=0)  # (S,), sums to 1
        output = weights @ v  # (d_k,): Σ_j w_j v_j
    seen = [VOCAB[int(i)] for i in tokens[0]]
    names = [_label(j, t) for j, t in enumerate(seen)]
    q_np, k_np, v_np, w_np = q.numpy(), k.numpy(), v.numpy(), weights.numpy()
    keys = pd.DataFrame({"key": names, "k": [_vector(row) for row in k_np], "q·k": dots.numpy(),
                         f"q·k / √{d_k}": scaled.numpy(), "may read": allowed.numpy(), "weight": w_np,
                         "v": [_vector(row) for row in v_np]})
    vectors = pd.concat([_vectors(["q"], "query", q_np[None]), _vectors([f"k {n}" for n in names], "keys", k_np),
                         _vectors([f"v {n}" for n in names], "values", v_np),
                         _vectors(["output = Σ weight × v"], "output", output.numpy()[None])], ignore_index=True)
    order = np.argsort(-w_np)
    hit = np.flatnonzero(queries == query)
    target = int(targets[hit[0]]) if len(hit) else None
    facts = WorkedFacts(layer, head, d_k, query, seen[query], cfg.letter, wanted != query, int(allowed.sum()), S,
                        int(order[0]), seen[order[0]], float(scaled[order[0]]), float(w_np[order[0]]),
                        float(w_np[order[1]]) if S > 1 else 0.0, bool(w_np[order[0]] > 0.5), target,
                        float(w_np[target]) if target is not None else 0.0)
    return WorkedResult(seen, keys, vectors, q_np, output.numpy(), w_np, facts)


def _vectors(names: list[str], kind: str, values: np.ndarray) -> pd.DataFrame:
    """Rows of vectors as tidy cells for a heat map: vector, kind, dimension, value."""
    n, d = values.shape
    name, dim = np.meshgrid(np.arange(n), np.arange(d), indexing="ij")
    return pd.DataFrame({"vector": np.array(names)[name.ravel()], "kind": kind, "dimension": dim.ravel(),
                         "value": values.ravel()})


# --- sampling -------------------------------------------------------------------------------------------------------
def next_distribution(logits: Tensor, temperature: float, top_k: int) -> Tensor:
    """(..., V) logits -> the distribution a token is drawn from: the `top_k` largest logits divided by
    `temperature`, the others -inf, then softmax. Temperature 0 is greedy: all the probability on the top token.

    T < 1 sharpens the distribution (T -> 0: greedy), T > 1 flattens it; top-k never lets a token outside the k
    most likely be drawn (Holtzman et al. 2020, "The curious case of neural text degeneration", section 2).
    """
    if temperature == 0:
        return torch.nn.functional.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(logits.dtype)
    kth = logits.topk(top_k, dim=-1).values[..., -1:]  # (..., 1): the k-th largest logit
    kept = logits.masked_fill(logits < kth, float("-inf"))  # ties with the k-th are rare in float logits
    return torch.softmax(kept / temperature, dim=-1)


@torch.no_grad()
def generate(model: Transformer, prompts: Tensor, steps: int, temperature: float, top_k: int,
             g: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    """Sampled generation: `steps` times draw the next token from `next_distribution` and feed it back.

    prompts (N, P) int64 -> (written (N, steps), the model's own probabilities (N, steps, V), the distributions the
    tokens were drawn from (N, steps, V)). One torch.multinomial draw per step from `g`: the same seed, the same text.
    """
    seq, raw, drawn = prompts, [], []
    for _ in range(steps):
        logits = model(seq)[:, -1]  # (N, V)
        p = next_distribution(logits, temperature, top_k)
        raw.append(torch.softmax(logits, dim=-1))
        drawn.append(p)
        seq = torch.cat([seq, torch.multinomial(p, 1, generator=g)], dim=1)
    return seq[:, prompts.shape[1]:], torch.stack(raw, dim=1), torch.stack(drawn, dim=1)


@dataclass(frozen=True)
class Sample:
    """The decoder's answer to a prompt word, sampled: temperature (0 = greedy, up to 2), top-k (1 to the
    vocabulary), the seed of the draws, and the step whose distribution the page draws (1 = the first)."""

    word: str = "GREEDY"
    temperature: float = 2.0
    top_k: int = 5
    seed: int = 0
    step: int = 1
    source: Source = Source("transformer", asset=asset("decoder"))
    code_version: int = 1

    def __post_init__(self) -> None:
        check_word(self.word)
        if not 0 <= self.temperature <= 2:
            raise ValueError("Pick a temperature from 0 (greedy) to 2.")
        if not 1 <= self.top_k <= len(VOCAB):
            raise ValueError(f"Top-k keeps 1 to {len(VOCAB)} tokens (the whole vocabulary).")
        if not 0 <= self.seed < 2**31:
            raise ValueError("The seed is a whole number from 0 to 2,147,483,647.")
        if not 1 <= self.step <= MAX_LEN:
            raise ValueError(f"Pick a step from 1 to {MAX_LEN}.")


@dataclass(frozen=True)
class SampleFacts:
    """What sampling wrote and the distribution of the step shown, before and after temperature and top-k."""

    sampled: str  # the letters written, up to the end token
    greedy: str  # what greedy decoding writes for the same prompt
    expected: str  # the reversed word
    letters_right: int
    steps: int  # tokens written, the end token included
    step: int  # the step drawn (the one asked for, or the last if the answer ended earlier)
    kept: int  # tokens with a probability above 0 after top-k
    top_token: str  # the model's most likely token at that step
    top_before: float  # its probability as the model gives it (temperature 1, no top-k)
    top_after: float  # and after temperature and top-k
    chosen: str  # the token drawn at that step
    chosen_after: float
    total_after: float  # the drawn distribution's sum (1)
    first_off: int  # the first step that drew another token than the model's most likely one (0: none did)
    off_token: str  # the token drawn there ("" if none)
    off_after: float  # the probability it was drawn with
    off_top: str  # the most likely token there, which greedy decoding would have written


@dataclass
class SampleResult:
    steps: pd.DataFrame  # step, reads, writes, drawn with (its probability), most likely
    distribution: pd.DataFrame  # token, distribution ("the model's" / "after temperature and top-k"), probability,
    # chosen: the shown step's bars
    facts: SampleFacts


def sample(cfg: Sample, trained: Trained, on_progress: Progress[SampleResult] | None = None) -> SampleResult:
    """Generate the answer to `·····WORD=` by sampling; the distribution of step `cfg.step` for the bar chart."""
    check(cfg.source, trained)
    word, model = check_word(cfg.word), trained.model
    if model.spec.length == MAX_LEN:
        raise ValueError("Sampling needs the decoder: the encoder writes its answer in one pass.")
    start = encode(prompt(word), MAX_LEN + 1)[None]  # (1, 11)
    g = torch.Generator().manual_seed(cfg.seed)
    written, raw, drawn = (t[0] for t in generate(model, start, MAX_LEN, cfg.temperature, cfg.top_k, g))
    ends = (written == VOCAB.index(PAD)).nonzero()
    n = int(ends[0]) + 1 if len(ends) else MAX_LEN  # stop after the end token
    written, raw, drawn = written[:n], raw[:n], drawn[:n]
    _, greedy_tokens, _ = reading(model, word)
    text = "".join(VOCAB[int(i)] for i in written)
    greedy_text = "".join(VOCAB[int(i)] for i in greedy_tokens)
    steps = pd.DataFrame({"step": np.arange(1, n + 1), "reads": [prompt(word) + text[:s] for s in range(n)],
                          "writes": list(text), "drawn with": drawn[torch.arange(n), written].numpy(),
                          "most likely": [VOCAB[int(i)] for i in raw.argmax(dim=-1)]})
    s = min(cfg.step, n) - 1
    chosen = int(written[s])
    tokens = np.array(list(VOCAB))
    distribution = pd.concat([
        pd.DataFrame({"token": tokens, "distribution": name, "probability": p[s].numpy(),
                      "chosen": np.arange(len(VOCAB)) == chosen})
        for name, p in (("the model's", raw), ("after temperature and top-k", drawn))], ignore_index=True)
    top = int(raw[s].argmax())
    wrote = text.split(PAD)[0]
    off = (written != raw.argmax(dim=-1)).nonzero()
    o = int(off[0]) if len(off) else -1
    facts = SampleFacts(wrote, greedy_text.split(PAD)[0], word[::-1], sum(a == b for a, b in zip(wrote, word[::-1])),
                        n, s + 1, int((drawn[s] > 0).sum()), VOCAB[top], float(raw[s, top]), float(drawn[s, top]),
                        VOCAB[chosen], float(drawn[s, chosen]), float(drawn[s].sum()), o + 1,
                        VOCAB[int(written[o])] if o >= 0 else "", float(drawn[o, written[o]]) if o >= 0 else 0.0,
                        VOCAB[int(raw[o].argmax())] if o >= 0 else "")
    return SampleResult(steps, distribution, facts)
