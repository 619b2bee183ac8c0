"""What the Transformer page runs on trained models (slide 70), as `fn(config, *trained) -> Result`.

Each config carries the Sources of its models; the trained models themselves (`transformer.Trained`,
from `core.zoo.source.resolve`) are handed in, never fetched or trained here.

`board`: the four shipped designs side by side (scores measured on held-out words when the files
were made, their curves, the masks, the architecture). `read`: one word through one model, with
every layer's and head's attention weights and the probabilities it wrote (step by step for the
decoder's greedy generation). `positions`: the sinusoidal positional encoding and how alike two
positions look to attention. `compare`: a student's own model next to the shipped one of its design.

Each result carries the facts its "what to notice" sentence rests on (`BoardFacts`, `CopyFacts`,
`GenerationFacts`, `PositionFacts`, `CompareFacts`), computed here so that the page only chooses words.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from core.progress import Progress
from core.zoo.shapes import COLUMNS
from core.zoo.source import Source, check
from core.zoo.transformer import (
    DESIGNS,
    ENCODER_T,
    MAX_LEN,
    N_VAL,
    PAD,
    VOCAB,
    Trained,
    Transformer,
    aligned_pairs,
    asset,
    causal_mask,
    check_word,
    encode,
    greedy,
    n_params,
    positional_encoding,
    prompt,
    random_words,
)

COPYING = 3  # a head "copies by attention" when it puts this many times a uniform share on the letter to write
FAR = 8  # the position whose likeness to position 0 the page quotes beside position 1's
SCORES = {"letter_accuracy": "letter accuracy", "word_accuracy": "words fully right",
          "token_accuracy": "token accuracy"}


def label(design: str) -> str:
    return DESIGNS[design].label


# --- the four designs at a glance ---------------------------------------------------------------------------------
SHIPPED_SOURCES = tuple(Source("transformer", asset=asset(design)) for design in DESIGNS)


@dataclass(frozen=True)
class Board:
    """The four shipped designs (`sources`, handed in as Trained models in this order) side by side."""

    examples: int = 4  # training pairs shown per task
    sources: tuple[Source, ...] = SHIPPED_SOURCES
    code_version: int = 3  # 3: computed from the Trained models handed in


@dataclass(frozen=True)
class BoardFacts:
    """The shipped designs' held-out scores, as the page quotes them.

    `*_letters`: letter accuracy; `encoder_words`: words entirely right. By answer position (1 = the
    answer's first letter, i.e. the word's last one): `causal_first_letter` / `encoder_first_letter`, and
    `causal_last_letter` at the last answer position (`answer_positions`), which writes the word's first
    letter only in a word of `answer_positions` letters (a letter the causal mask lets it read); in shorter words
    that position is padding.
    """

    n_val: int
    encoder_letters: float
    encoder_words: float
    decoder_letters: float
    causal_letters: float
    nopos_letters: float
    answer_positions: int
    causal_first_letter: float
    encoder_first_letter: float
    causal_last_letter: float
    board_seconds: float
    weights_each: int  # parameters of each shipped model
    same_size: bool  # all four have that many


@dataclass
class BoardResult:
    scores: pd.DataFrame  # design, mask, positional encoding, parameters, letter accuracy, words fully right, ...
    by_position: pd.DataFrame  # model, answer letter, letter accuracy
    history: pd.DataFrame  # variant, epoch, split, metric, value (recorded while the files were made)
    examples: pd.DataFrame  # task, model reads, model writes
    masks: pd.DataFrame  # mask, query, key, allowed
    layers: pd.DataFrame  # the encoder's architecture (core.zoo.shapes.COLUMNS), from a real forward pass
    seconds: float  # what making the four files took
    facts: BoardFacts


def _by_position(name: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"model": name, "answer letter": np.arange(1, len(values) + 1), "letter accuracy": values})


def board(cfg: Board, *shipped: Trained, on_progress: Progress[BoardResult] | None = None) -> BoardResult:
    """The shipped models' measured scores (from their files' meta), curves, masks, examples and the architecture."""
    if len(shipped) != len(cfg.sources):
        raise ValueError(f"The board compares the shipped designs {', '.join(DESIGNS)}, handed in in that order.")
    for source, trained in zip(cfg.sources, shipped):
        check(source, trained)
    models = {t.recipe.design: t for t in shipped}
    if cfg.sources != SHIPPED_SOURCES or list(models) != list(DESIGNS):
        raise ValueError(f"The board compares the shipped designs {', '.join(DESIGNS)}, handed in in that order.")
    rows, positions, curves, seconds = [], [], [], 0.0
    for design, d in DESIGNS.items():
        trained = models[design]
        rows.append({"design": d.label, "mask": "causal" if d.causal else "full",
                     "positional encoding": "yes" if d.positions else "no", "parameters": trained.parameters,
                     **{name: trained.scores[key] for key, name in SCORES.items()}})
        positions.append(_by_position(d.label, trained.scores["by_position"]))
        curves.append(trained.history)
        seconds += trained.seconds
    words = random_words(cfg.examples, seed=7)
    x_aligned, y_aligned = aligned_pairs(words)
    examples = pd.DataFrame([("encoder (aligned)", _text(x), _text(y)) for x, y in zip(x_aligned, y_aligned)]
                            + [("decoder (generate)", prompt(w), w[::-1] + PAD) for w in words],
                            columns=["task", "model reads", "model writes"])
    scores = pd.DataFrame(rows)
    by = {design: models[design].scores["by_position"] for design in ("encoder", "causal")}
    return BoardResult(scores, pd.concat(positions, ignore_index=True),
                       pd.concat(curves, ignore_index=True), examples, masks(MAX_LEN),
                       architecture(models["encoder"].model, x_aligned[:1]), seconds, _board_facts(scores, seconds, by))


def _board_facts(scores: pd.DataFrame, seconds: float, by: dict[str, list[float]]) -> BoardFacts:
    letters = dict(zip(scores["design"], scores["letter accuracy"]))
    encoder = scores[scores["design"] == label("encoder")].iloc[0]
    return BoardFacts(
        n_val=N_VAL, encoder_letters=float(encoder["letter accuracy"]),
        encoder_words=float(encoder["words fully right"]),
        decoder_letters=float(letters[label("decoder")]), causal_letters=float(letters[label("causal")]),
        nopos_letters=float(letters[label("nopos")]), answer_positions=len(by["causal"]),
        causal_first_letter=float(by["causal"][0]), encoder_first_letter=float(by["encoder"][0]),
        causal_last_letter=float(by["causal"][-1]), board_seconds=seconds,
        weights_each=int(encoder["parameters"]), same_size=scores["parameters"].nunique() == 1)


def _text(tokens: Tensor) -> str:
    return "".join(VOCAB[int(i)] for i in tokens)


def masks(length: int) -> pd.DataFrame:
    """Both masks as tidy cells: mask ("full (encoder)" / "causal (decoder)"), query, key, allowed (bool)."""
    frames = []
    for name, mask in (("full (encoder)", torch.ones(length, length, dtype=torch.bool)),
                       ("causal (decoder)", causal_mask(length))):
        q, k = np.meshgrid(np.arange(length), np.arange(length), indexing="ij")
        frames.append(pd.DataFrame({"mask": name, "query": q.ravel(), "key": k.ravel(),
                                    "allowed": mask.numpy().ravel()}))
    return pd.concat(frames, ignore_index=True)


def architecture(model: Transformer, tokens: Tensor) -> pd.DataFrame:
    """The model's parts in the order a forward pass runs them, with output shapes (hooks on a real pass).

    Rows follow core.zoo.shapes.COLUMNS (layer, kind, output shape, parameters), so ui.show.layers draws
    them; attention layers also name the shape of their weights (heads x queries x keys).
    """
    spec, rows, hooks = model.spec, [], []

    def record(name: str, kind: str) -> Callable:
        def hook(module: nn.Module, args: object, out: object) -> None:
            if isinstance(out, tuple):
                out_x, extra = out[0], f", weights {' × '.join(map(str, out[1].shape[1:]))}"
            else:
                out_x, extra = out, ""
            rows.append((name, kind + extra, tuple(out_x.shape[1:]), n_params(module)))
            if name == "embed":
                rows.append(("pe", "+ positional encoding" if spec.positions else "(no positional encoding)",
                             tuple(out_x.shape[1:]), 0))
        return hook

    parts = [("embed", "Embedding")] + [
        (f"blocks.{i}.{part}", kind) for i in range(spec.layers)
        for part, kind in (("attention", f"{'Causal' if spec.causal else 'Full'} self-attention, {spec.heads} heads"),
                           ("mlp", "MLP"))] + [("norm", "LayerNorm"), ("head", "Linear → token scores")]
    modules = dict(model.named_modules())
    try:
        for name, kind in parts:
            hooks.append(modules[name].register_forward_hook(record(name, kind)))
        with torch.no_grad():
            model.eval()(tokens)
    finally:
        for h in hooks:
            h.remove()
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.attrs["input shape"] = tuple(tokens.shape[1:])
    return frame


# --- one word through one model -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Read:
    """A word (2-10 letters A-Z, any case) and the model that reverses it."""

    word: str = "ATTENTION"
    source: Source = Source("transformer")
    code_version: int = 3  # 3: run on the Trained model handed in

    def __post_init__(self) -> None:
        check_word(self.word)  # ValueError with a sentence: wrong length or a character outside A-Z


@dataclass(frozen=True)
class CopyFacts:
    """The head that copies best in one reading: its layer and head, its mean weight on the letter each answer
    position must write, and what a uniform spread over the positions each of those rows may read would give."""

    copy_layer: int
    copy_head: int
    copy_weight: float
    uniform_weight: float
    copies: bool  # copy_weight is more than COPYING times uniform_weight: the head looks up the letter it writes


@dataclass(frozen=True)
class GenerationFacts:
    """What one reading wrote: the letters (up to the end token), in how many steps, how many were right,
    and the lowest probability any step chose its token with."""

    generated: str
    expected_answer: str
    generation_steps: int
    generated_right: int
    word_letters: int
    least_sure: float


@dataclass
class ReadResult:
    word: str
    expected: str  # the reversed word
    wrote: str  # what the model wrote (letters, up to its first PAD)
    letters_right: int
    tokens: list[str]  # what the attention maps are over: the model's input (and, for the decoder, what it wrote)
    attention: pd.DataFrame  # layer, head, query, key, query token, key token, weight
    copy: pd.DataFrame  # layer, head, weight on the letter to copy (mean over the answer's letters)
    probabilities: pd.DataFrame  # step, token, probability, chosen (each output position / generation step)
    steps: pd.DataFrame  # step, reads, writes, probability, runner-up
    copy_facts: CopyFacts
    generation_facts: GenerationFacts


def source_positions(kind: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(query positions that write the answer's letters, key positions holding the letter each must copy)."""
    j = np.arange(n)
    if DESIGNS[kind].task == "aligned":
        return j, n - 1 - j  # WORD····· -> DROW·····: position j writes the word's letter n - 1 - j
    return MAX_LEN + j, MAX_LEN - 1 - j  # ·····WORD= then DROW: the token after position 10 + j is at 9 - j


@torch.no_grad()
def reading(model: Transformer, word: str) -> tuple[Tensor, Tensor, Tensor]:
    """What `model` reads and writes for `word`: (tokens (1, S) its attention maps are over, the tokens it wrote
    (n,), the probabilities each was chosen from (n, V)).

    Aligned: one pass over `WORD·····`, the best token at each position. Generate: greedy from `·····WORD=`,
    stopped after the end token; the tokens are what the last step read.
    """
    if model.spec.length == ENCODER_T:
        tokens = encode(word, ENCODER_T)[None]  # (1, T)
        probs = torch.softmax(model(tokens), dim=-1)[0]  # (T, V): position t writes its token
        return tokens, probs.argmax(dim=-1), probs
    start = encode(prompt(word), MAX_LEN + 1)[None]  # (1, 11)
    written, probs = greedy(model, start, MAX_LEN)
    written, probs = written[0], probs[0]
    ends = (written == VOCAB.index(PAD)).nonzero()
    n = int(ends[0]) + 1 if len(ends) else MAX_LEN  # stop after the end token
    return torch.cat([start[0], written[: n - 1]])[None], written[:n], probs[:n]  # (1, S): what the last step read


def read(cfg: Read, trained: Trained, on_progress: Progress[ReadResult] | None = None) -> ReadResult:
    """Run the word through the model; return what it wrote and every attention weight it used."""
    check(cfg.source, trained)
    word, kind, model = check_word(cfg.word), trained.recipe.design, trained.model
    tokens, written, probs = reading(model, word)
    with torch.no_grad():
        _, att = model.attend(tokens)  # (1, L, H, S, S)
    text = _text(written)
    wrote = text.split(PAD)[0]
    seen = [VOCAB[int(i)] for i in tokens[0]]
    queries, keys = source_positions(kind, len(word))
    att_np = att[0].numpy()  # (L, H, S, S)
    right = sum(a == b for a, b in zip(wrote, word[::-1]))
    copy = _copy_frame(att_np, queries, keys)
    probabilities, steps = _probability_frames(probs.numpy(), written.numpy(), kind, word)
    best = copy.loc[copy["weight on the letter to copy"].idxmax()]
    kept = queries[queries < att_np.shape[-1]]
    readable = model.mask[: att_np.shape[-1], : att_np.shape[-1]].sum(dim=1).numpy()  # (S,) keys each row may read
    uniform = float(np.mean(1.0 / readable[kept])) if len(kept) else 0.0
    weight = float(best["weight on the letter to copy"])
    copy_facts = CopyFacts(int(best["layer"]), int(best["head"]), weight, uniform, weight > COPYING * uniform)
    generation = GenerationFacts(wrote, word[::-1], len(steps), right, len(word), float(steps["probability"].min()))
    return ReadResult(word, word[::-1], wrote, right, seen, _attention_frame(att_np, seen), copy, probabilities, steps,
                   copy_facts, generation)


def _attention_frame(att: np.ndarray, seen: list[str]) -> pd.DataFrame:
    L, H, S, _ = att.shape
    layer, head, q, k = np.meshgrid(np.arange(1, L + 1), np.arange(1, H + 1), np.arange(S), np.arange(S), indexing="ij")
    names = np.array([f"{i} {t}" for i, t in enumerate(seen)])
    return pd.DataFrame({"layer": layer.ravel(), "head": head.ravel(), "query": q.ravel(), "key": k.ravel(),
                         "query token": names[q.ravel()], "key token": names[k.ravel()], "weight": att.ravel()})


def _copy_frame(att: np.ndarray, queries: np.ndarray, keys: np.ndarray) -> pd.DataFrame:
    """For each layer and head: the mean attention weight an answer position puts on the letter it must write.

    A decoder that ended its answer early never read the later positions: those are left out (0 if none is left).
    """
    kept = queries < att.shape[-1]
    on_source: np.ndarray = (att[:, :, queries[kept], keys[kept]].mean(axis=-1) if kept.any()
                 else np.zeros(att.shape[:2]))  # (L, H)
    L, H = int(on_source.shape[0]), int(on_source.shape[1])
    layer, head = np.meshgrid(np.arange(1, L + 1), np.arange(1, H + 1), indexing="ij")
    return pd.DataFrame({"layer": layer.ravel(), "head": head.ravel(),
                         "weight on the letter to copy": on_source.ravel()})


def _probability_frames(probs: np.ndarray, written: np.ndarray, kind: str, word: str
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """probs (S, V): tidy (step, token, probability, chosen) and a table of each step's choice and runner-up."""
    S, V = probs.shape
    step, tok = np.meshgrid(np.arange(1, S + 1), np.arange(V), indexing="ij")
    tidy = pd.DataFrame({"step": step.ravel(), "token": np.array(list(VOCAB))[tok.ravel()],
                         "probability": probs.ravel(), "chosen": (tok == written[:, None]).ravel()})
    order = np.argsort(-probs, axis=1)
    generate = DESIGNS[kind].task == "generate"
    reads = [(prompt(word) + _text(torch.as_tensor(written[:s]))) if generate else f"position {s}" for s in range(S)]
    steps = pd.DataFrame({"step": np.arange(1, S + 1), "reads": reads, "writes": [VOCAB[i] for i in written],
                          "probability": probs[np.arange(S), written],
                          "runner-up": [f"{VOCAB[o[1]]} ({p[o[1]]:.1%})" for o, p in zip(order, probs)]})
    return tidy, steps


# --- the positional encoding ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Positions:
    length: int = 32  # positions shown
    d_model: int = 32
    code_version: int = 2  # 2: results carry their facts

    def __post_init__(self) -> None:
        if not 2 <= self.length <= 64 or self.d_model not in (8, 16, 32, 64):
            raise ValueError("Show 2 to 64 positions with a width of 8, 16, 32 or 64 dimensions.")


@dataclass(frozen=True)
class PositionFacts:
    """The encoding's fastest and slowest period (positions per turn), and how alike position 0 looks to position 1
    and to `far_position` (8, or the last one shown) by the cosine of their encodings."""

    first_period: float
    last_period: float
    similarity_next: float
    far_position: int
    similarity_far: float


@dataclass
class PositionsResult:
    encoding: pd.DataFrame  # position, dimension, value
    similarity: pd.DataFrame  # position, other position, cosine similarity
    periods: np.ndarray  # (d_model / 2,) positions per full turn of each sin/cos pair
    facts: PositionFacts


def positions(cfg: Positions, on_progress: Progress[PositionsResult] | None = None) -> PositionsResult:
    pe = positional_encoding(cfg.length, cfg.d_model).numpy()  # (T, D)
    p, d = np.meshgrid(np.arange(cfg.length), np.arange(cfg.d_model), indexing="ij")
    unit = pe / np.linalg.norm(pe, axis=1, keepdims=True)
    a, b = np.meshgrid(np.arange(cfg.length), np.arange(cfg.length), indexing="ij")
    periods = 2 * np.pi * 10000.0 ** (np.arange(0, cfg.d_model, 2) / cfg.d_model)
    cosine = unit @ unit.T  # (T, T)
    far = min(FAR, cfg.length - 1)
    facts = PositionFacts(float(periods[0]), float(periods[-1]), float(cosine[0, 1]), far, float(cosine[0, far]))
    return PositionsResult(
        pd.DataFrame({"position": p.ravel(), "dimension": d.ravel(), "value": pe.ravel()}),
        pd.DataFrame({"position": a.ravel(), "other position": b.ravel(), "cosine similarity": cosine.ravel()}),
        periods, facts)


# --- a student's model next to the shipped one ----------------------------------------------------------------------
@dataclass(frozen=True)
class Compare:
    """A student's model (`own`, a Source with a recipe) against the shipped model of the same design."""

    own: Source
    code_version: int = 3  # 3: run on the Trained models handed in

    def __post_init__(self) -> None:
        if self.own.arch != "transformer" or self.own.shipped:
            raise ValueError("Compare a Transformer a student trained (a Source with its recipe).")

    @property
    def shipped(self) -> Source:
        return Source("transformer", asset=asset(self.own.recipe.design))


@dataclass(frozen=True)
class CompareFacts:
    """A student's model against the shipped one of its design: held-out letter accuracy and size."""

    own_design: str  # the design's label
    own_layers: int
    own_heads: int
    one_layer: bool
    own_seconds: float
    own_letters: float
    own_weights: int
    shipped_letters: float
    shipped_weights: int


@dataclass
class CompareResult:
    history: pd.DataFrame  # variant ("yours"), epoch, split, metric, value
    scores: pd.DataFrame  # model ("yours" / "shipped"), letter accuracy, words fully right, token accuracy, parameters
    by_position: pd.DataFrame  # model, answer letter, letter accuracy
    facts: CompareFacts


def compare(cfg: Compare, own: Trained, shipped: Trained,
            on_progress: Progress[CompareResult] | None = None) -> CompareResult:
    """The student's held-out scores next to the shipped model's (as measured when its file was made)."""
    check(cfg.own, own)
    check(cfg.shipped, shipped)
    table = pd.DataFrame([
        {"model": name, **{label: t.scores[key] for key, label in SCORES.items()}, "parameters": t.parameters}
        for name, t in (("yours", own), ("shipped", shipped))])
    by_position = pd.concat([_by_position("yours", own.scores["by_position"]),
                             _by_position("shipped", shipped.scores["by_position"])], ignore_index=True)
    recipe = own.recipe
    facts = CompareFacts(label(recipe.design), recipe.layers, recipe.heads, recipe.layers == 1, own.seconds,
                         float(own.scores["letter_accuracy"]), own.parameters,
                         float(shipped.scores["letter_accuracy"]), shipped.parameters)
    return CompareResult(own.history.assign(variant="yours"), table, by_position, facts)
