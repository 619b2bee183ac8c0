"""One query worked through equals the model's own attention; sampling with temperature and top-k."""
import math

import numpy as np
import pytest
import torch

from core.zoo import transformer, transformer_steps
from core.zoo.source import Source

SOURCES = {d: Source("transformer", asset=transformer.asset(d)) for d in transformer.DESIGNS}


def _model(design: str) -> transformer.Trained:
    return transformer.shipped(transformer.asset(design))


def _modules_own(trained: transformer.Trained, word: str, layer: int, head: int, query: int):
    """(the head's output at `query`, its attention row) as the model's own attention module computes them: the input
    of its output projection (the heads side by side) and the weights `attend` returns."""
    model, seen = trained.model, []
    tokens = transformer_steps.reading(model, word)[0]
    attention = model.blocks[layer - 1].attention
    hook = attention.out.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    try:
        _, maps = model.attend(tokens)
    finally:
        hook.remove()
    d_k = model.spec.d_model // model.spec.heads
    mixed = seen[0][0, query, (head - 1) * d_k: head * d_k]
    return mixed.numpy(), maps[0, layer - 1, head - 1, query].numpy()


@pytest.mark.parametrize("design, word, layer, head, letter", [
    ("encoder", "ATTENTION", 2, 2, 1), ("encoder", "HELLO", 1, 1, 3), ("causal", "ATTENTION", 1, 2, 4),
    ("decoder", "GREEDY", 2, 1, 2), ("decoder", "AB", 1, 2, 1), ("nopos", "ZEBRA", 2, 1, 5),
])
def test_the_worked_query_is_the_models_own_attention(design, word, layer, head, letter):
    trained = _model(design)
    r = transformer_steps.worked(transformer_steps.Worked(word, SOURCES[design], layer, head, letter), trained)
    output, row = _modules_own(trained, word, layer, head, r.facts.query)
    assert np.allclose(r.output, output, atol=1e-5)  # Σ w_j v_j is what the module mixed for this head
    assert np.allclose(r.weights, row, atol=1e-5)  # and the weights are its attention map's row
    assert r.weights.sum() == pytest.approx(1, abs=1e-6)
    d_k = r.facts.d_k
    assert d_k == 16 and np.allclose(r.keys[f"q·k / √{d_k}"], r.keys["q·k"] / math.sqrt(d_k))
    masked = ~r.keys["may read"]
    assert (r.keys.weight[masked] == 0).all() and r.facts.readable == (~masked).sum()
    if design in ("causal", "decoder"):  # a causal query reads itself and the past only
        assert r.facts.readable == r.facts.query + 1
    assert len(r.vectors) == d_k * (2 + 2 * len(r.tokens))  # q, every k, every v, the output, all dimensions


def test_the_default_head_copies_the_letter_the_query_writes():
    """The head section 2 names as the best copier: its first answer position looks up the word's last letter."""
    for design, word in (("encoder", "ATTENTION"), ("decoder", "ATTENTION"), ("encoder", "SLIDE")):
        f = transformer_steps.worked(transformer_steps.Worked(word, SOURCES[design]), _model(design)).facts
        assert f.target_key == f.top_key and f.top_key_token == word[-1] and f.top_weight > 0.8, (design, word)
        assert f.top_weight > 5 * f.runner_up_weight and f.majority
    causal = transformer_steps.worked(transformer_steps.Worked("ATTENTION", SOURCES["causal"]), _model("causal")).facts
    assert causal.readable == 1 and causal.top_key == 0 and causal.target_weight == 0  # its target is in the future


def test_a_head_whose_top_key_holds_under_half_the_weight_is_a_blend_not_mostly_one_value():
    """Encoder layer 1, head 1 on ATTENTION, letter 1: the top key gets 29.8%, the next 18.3%: no majority."""
    f = transformer_steps.worked(transformer_steps.Worked("ATTENTION", SOURCES["encoder"], 1, 1, 1),
                                 _model("encoder")).facts
    assert not f.majority and 0.25 < f.top_weight < 0.35 and 0.15 < f.runner_up_weight < f.top_weight


def test_a_letter_past_the_generated_answer_shows_the_last_position():
    f = transformer_steps.worked(transformer_steps.Worked("AB", SOURCES["decoder"], letter=9), _model("decoder")).facts
    assert f.clamped and f.query == transformer.MAX_LEN + 2  # ·······AB= then BA: 13 tokens read


@pytest.mark.parametrize("bad, words", [
    ({"layer": 1}, "Pick a layer and a head"), ({"letter": 0}, "answer letter from 1"), ({"word": "A1"}, "letters"),
])
def test_bad_worked_configs_are_refused(bad, words):
    with pytest.raises(ValueError, match=words):
        transformer_steps.Worked(**bad)
    with pytest.raises(ValueError, match="2 layers of 2 heads"):
        transformer_steps.worked(transformer_steps.Worked(layer=3, head=1), _model("encoder"))


PROMPTS = ["HELLO", "AB", "TRANSFORMS", "GREEDY", "QUERYKEY"]


def _prompts() -> torch.Tensor:
    return torch.stack([transformer.encode(transformer.prompt(w), transformer.MAX_LEN + 1) for w in PROMPTS])


@pytest.mark.parametrize("temperature, top_k", [(0.0, 5), (1e-3, 28), (1.0, 1), (2.0, 1)])
def test_temperature_near_zero_or_top_1_is_greedy(temperature, top_k):
    model = _model("decoder").model
    greedy, _ = transformer.greedy(model, _prompts(), transformer.MAX_LEN)
    sampled, _, drawn = transformer_steps.generate(model, _prompts(), transformer.MAX_LEN, temperature, top_k,
                                                   torch.Generator().manual_seed(3))
    assert torch.equal(sampled, greedy)
    assert torch.allclose(drawn.max(dim=-1).values, torch.ones(len(PROMPTS), transformer.MAX_LEN), atol=1e-6)


@pytest.mark.parametrize("temperature, top_k", [(0.5, 3), (1.0, 5), (2.0, 5), (2.0, 28), (1.5, 12)])
def test_the_drawn_distribution_keeps_k_tokens_and_sums_to_one(temperature, top_k):
    logits = _model("decoder").model(_prompts())[:, -1]  # (N, V)
    p = transformer_steps.next_distribution(logits, temperature, top_k)
    assert torch.allclose(p.sum(-1), torch.ones(len(PROMPTS)), atol=1e-6)
    assert ((p > 0).sum(-1) == top_k).all()
    top = logits.topk(top_k, dim=-1).indices
    assert torch.allclose(p.gather(-1, top), torch.softmax(logits.gather(-1, top) / temperature, -1), atol=1e-6)
    flat, sharp = (transformer_steps.next_distribution(logits, t, 28).max(-1).values for t in (2.0, 0.5))
    assert (flat < torch.softmax(logits, -1).max(-1).values).all() and (sharp > flat).all()


def test_seeded_sampling_is_reproducible_and_the_facts_are_the_tables():
    trained = _model("decoder")
    cfg = transformer_steps.Sample(word="GREEDY", temperature=2.0, top_k=5, seed=0, step=2)
    a, b = transformer_steps.sample(cfg, trained), transformer_steps.sample(cfg, trained)
    assert a.steps.equals(b.steps) and a.distribution.equals(b.distribution)
    f = a.facts
    after = a.distribution[a.distribution.distribution == "after temperature and top-k"]
    assert f.kept == 5 == (after.probability > 0).sum() and after.probability.sum() == pytest.approx(1, abs=1e-6)
    assert f.step == 2 and after[after.chosen].token.item() == f.chosen == a.steps.writes[1]
    assert f.greedy == "YDEERG" and f.top_after < f.top_before  # T = 2 flattens the model's distribution
    texts = {transformer_steps.sample(transformer_steps.Sample(temperature=2.0, seed=s), trained).facts.sampled
             for s in range(5)}
    assert len(texts) > 1  # other seeds, other draws
    calm = [transformer_steps.sample(transformer_steps.Sample(temperature=t, seed=s), trained).facts
            for t in (0.0, 0.5) for s in range(5)]
    assert all(c.sampled == c.greedy == "YDEERG" and c.first_off == 0 for c in calm)
    off = next(r.facts for s in range(5) if (r := transformer_steps.sample(
        transformer_steps.Sample(temperature=2.0, seed=s), trained)).facts.first_off)
    assert off.off_token != off.off_top and off.off_after < 0.5


@pytest.mark.parametrize("bad, words", [
    ({"temperature": 2.5}, "temperature from 0"), ({"top_k": 0}, "Top-k keeps 1 to 28"),
    ({"top_k": 29}, "Top-k keeps 1 to 28"), ({"step": 11}, "step from 1 to 10"), ({"seed": -1}, "seed"),
])
def test_bad_sampling_settings_are_refused(bad, words):
    with pytest.raises(ValueError, match=words):
        transformer_steps.Sample(**bad)
    with pytest.raises(ValueError, match="needs the decoder"):
        transformer_steps.sample(transformer_steps.Sample(source=SOURCES["encoder"]), _model("encoder"))
