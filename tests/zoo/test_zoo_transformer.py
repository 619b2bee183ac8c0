"""The tiny Transformer: shipped models solve the task, attention is a softmax under its mask, inputs are checked."""
import numpy as np
import pytest
import torch

from core.zoo import transformer, transformer_lab, weights
from core.zoo.source import Source, resolve

HELD_OUT = transformer.split_words(transformer.Recipe().n_train)[1]


@pytest.mark.parametrize("design", ["encoder", "decoder"])
def test_the_shipped_models_reverse_held_out_words(design):
    model, meta = transformer.shipped(transformer.asset(design)).model, weights.load(transformer.asset(design))[1]
    scores = transformer.score(model, HELD_OUT)
    assert scores["token_accuracy"] >= 0.95 and scores["letter_accuracy"] >= 0.95
    assert scores["word_accuracy"] >= 0.9
    # the file's meta records what the model really scores (measured on the same held-out words)
    assert scores["letter_accuracy"] == pytest.approx(meta["val_letter_accuracy"], abs=1e-4)
    assert not set(HELD_OUT) & set(transformer.split_words(meta["n_train"], meta["seed"])[0])


def test_a_causal_mask_or_no_positions_cannot_do_the_encoders_task():
    full = transformer.score(transformer.shipped(transformer.asset("encoder")).model, HELD_OUT)
    for design in ("causal", "nopos"):
        broken = transformer.score(transformer.shipped(transformer.asset(design)).model, HELD_OUT)
        assert broken["letter_accuracy"] < full["letter_accuracy"] - 0.5, design
    # causal: the answer's first letter is the word's last one, in the future of position 0; the 10th is not
    by_position = transformer.score(transformer.shipped(transformer.asset("causal")).model, HELD_OUT)["by_position"]
    assert by_position[0] < 0.2 and by_position[-1] > 0.8


def _tokens(n: int, length: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, len(transformer.VOCAB), (n, length), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("design", list(transformer.DESIGNS))
def test_attention_rows_are_a_softmax_per_layer_and_head(design):
    model = transformer.shipped(transformer.asset(design)).model
    T = model.spec.length
    logits, att = model.attend(_tokens(8, T))
    assert logits.shape == (8, T, len(transformer.VOCAB))
    assert att.shape == (8, model.spec.layers, model.spec.heads, T, T)
    assert torch.allclose(att.sum(dim=-1), torch.ones(8, model.spec.layers, model.spec.heads, T), atol=1e-5)
    assert (att >= 0).all()


def test_the_causal_mask_gives_future_positions_zero_weight_and_no_influence():
    model = transformer.shipped(transformer.asset("decoder")).model
    T = model.spec.length
    x = _tokens(4, T)
    _, att = model.attend(x)
    future = ~transformer.causal_mask(T)  # (T, T): key after query
    assert torch.count_nonzero(att[..., future]) == 0
    assert (att[..., transformer.causal_mask(T)] > 0).any()
    changed = x.clone()
    changed[:, 12:] = _tokens(4, T - 12, seed=1)
    before, after = model(x), model(changed)
    assert torch.equal(before[:, :12], after[:, :12])  # earlier positions never see later tokens
    assert not torch.allclose(before[:, 12:], after[:, 12:])


def test_the_full_mask_lets_the_first_position_read_the_last():
    model = transformer.shipped(transformer.asset("encoder")).model
    a, b = (transformer.encode(word, transformer.ENCODER_T)[None] for word in ("ABCDEFGHIJ", "ABCDEFGHIZ"))
    assert transformer.decode(model(a).argmax(-1)[0, :1]) == "J"
    assert transformer.decode(model(b).argmax(-1)[0, :1]) == "Z"


def test_positional_encoding_is_the_sinusoid_and_without_it_order_is_invisible():
    pe = transformer.positional_encoding(50, 32)
    p, i = 7, 3
    assert pe[p, 2 * i].item() == pytest.approx(np.sin(p / 10000 ** (2 * i / 32)), abs=1e-6)
    assert pe[p, 2 * i + 1].item() == pytest.approx(np.cos(p / 10000 ** (2 * i / 32)), abs=1e-6)
    assert torch.cdist(pe, pe).add(torch.eye(50) * 9).min() > 0.1  # every position has its own pattern
    nopos = transformer.shipped(transformer.asset("nopos")).model
    x, perm = _tokens(3, 10), torch.randperm(10, generator=torch.Generator().manual_seed(2))
    assert torch.allclose(nopos(x[:, perm]), nopos(x)[:, perm], atol=1e-5)  # shuffled input, shuffled output
    encoder = transformer.shipped(transformer.asset("encoder")).model
    assert not torch.allclose(encoder(x[:, perm]), encoder(x)[:, perm], atol=1e-3)


def test_greedy_generation_writes_what_teacher_forcing_predicts():
    model = transformer.shipped(transformer.asset("decoder")).model
    words = ["HELLO", "AB", "TRANSFORMS"]
    prompts = torch.stack([transformer.encode(transformer.prompt(w), transformer.MAX_LEN + 1) for w in words])
    written, probs = transformer.greedy(model, prompts, transformer.MAX_LEN)
    assert [transformer.decode(row).split(transformer.PAD)[0] for row in written] == [w[::-1] for w in words]
    assert torch.allclose(probs.sum(-1), torch.ones(3, transformer.MAX_LEN), atol=1e-5)
    forced = model(torch.cat([prompts, written[:, :-1]], dim=1)).argmax(-1)[:, transformer.MAX_LEN:]  # one pass, causal
    assert torch.equal(forced, written)


def test_generation_targets_count_the_answer_only():
    x, y = transformer.generation_pairs(["HELLO"])
    assert transformer.decode(x[0]) == "·····HELLO=OLLEH·····" and transformer.decode(y[0]) == "··········OLLEH······"


@pytest.mark.parametrize("text, problem", [
    ("A", "between 2 and 10"), ("", "between 2 and 10"), ("ABCDEFGHIJK", "you typed 11"),
    ("HELLO1", "'1'"), ("HÉLLO", "'É'"), ("NO WAY", "' '"),
])
def test_typed_words_outside_the_alphabet_or_length_raise(text, problem):
    with pytest.raises(ValueError, match=problem):
        transformer.check_word(text)
    with pytest.raises(ValueError, match=problem):
        transformer_lab.Read(word=text)


def test_a_typed_word_is_read_with_its_attention():
    decoder = Source("transformer", asset=transformer.asset("decoder"))
    r = transformer_lab.read(transformer_lab.Read(word="attention", source=decoder), resolve(decoder))
    assert r.wrote == "NOITNETTA" and r.letters_right == 9
    assert len(r.attention) > 0 and len(r.probabilities) > 0  # the row sums below hold for empty tables too
    assert r.attention.groupby(["layer", "head", "query"])["weight"].sum().between(1 - 1e-5, 1 + 1e-5).all()
    assert r.copy["weight on the letter to copy"].max() > 0.5  # one head copies by attention
    assert r.probabilities.groupby("step")["probability"].sum().between(1 - 1e-5, 1 + 1e-5).all()


@pytest.mark.parametrize("name", sorted(transformer.SHIPPED))
def test_quick_weights_load_into_the_shipped_shapes(tmp_path, name):
    model, meta = transformer.SHIPPED[name](quick=True)
    state, read_meta = weights.read(weights.save(name, model, meta, tmp_path))
    shipped_state, _ = weights.load(name)
    assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in shipped_state.items()}
    assert read_meta["val_letter_accuracy"] == meta["val_letter_accuracy"] and len(read_meta["val_by_position"]) == 10
    weights.into(transformer.build(transformer.Recipe(design=meta["design"])), state)


def test_a_students_model_is_trained_compared_and_read_without_training_again(forbid_training):
    recipe = transformer.Recipe(design="decoder", epochs=2, n_train=500, layers=1)
    seen = []
    mine = transformer.train(recipe, on_progress=lambda f, part: seen.append((f, part.history.epoch.max())))
    assert [e for _, e in seen] == [1, 2] and seen[-1][0] == 1  # each partial carries the curves so far
    shipped = transformer.shipped(transformer.asset("decoder"))
    result = transformer_lab.compare(transformer_lab.Compare(Source("transformer", recipe)), mine, shipped)
    assert set(result.history.epoch) == {0, 1, 2} and list(result.scores.model) == ["yours", "shipped"]
    loss = result.history[(result.history.metric == "loss") & (result.history.split == "train")].value
    assert loss.iloc[-1] < loss.iloc[0]
    assert result.facts.own_letters == mine.scores["letter_accuracy"] and result.facts.own_weights == mine.parameters
    # the same seeded recipe gives the same weights, so a Source (the cache key) stands for one model
    again = transformer.train(recipe)
    assert all(torch.equal(v, again.model.state_dict()[k]) for k, v in mine.model.state_dict().items())
    # views are handed the model: with training switched off, reading a word still works
    forbid_training(transformer, "train")
    read = transformer_lab.read(transformer_lab.Read("HELLO", Source("transformer", recipe)), mine)
    assert len(read.attention) > 0 and read.word == "HELLO"
    with pytest.raises(ValueError, match="its recipe did not make"):  # a result must be cached under its model
        transformer_lab.read(transformer_lab.Read("HELLO", Source("transformer", recipe)), shipped)
    board = transformer_lab.board(transformer_lab.Board(), *map(resolve, transformer_lab.SHIPPED_SOURCES))
    assert len(board.scores) == 4
    with pytest.raises(ValueError, match="asks for the shipped transformer_decoder but was handed another model"):
        transformer_lab.compare(transformer_lab.Compare(Source("transformer", recipe)), mine,
                                transformer.shipped(transformer.asset("encoder")))
    with pytest.raises(ValueError, match="asks for the shipped transformer_encoder but was handed another model"):
        transformer_lab.board(transformer_lab.Board(), *map(resolve, transformer_lab.SHIPPED_SOURCES[::-1]))


@pytest.mark.parametrize("bad, words", [
    ({"design": "rnn"}, "Unknown design"), ({"epochs": 0}, "Train for 1 to"),
    ({"epochs": transformer.MAX_EPOCHS + 1}, "Train for 1 to"), ({"heads": 3}, "even multiple of the number of heads"),
    ({"n_train": 50}, "between 100 and 8,000 training words"),
])
def test_bad_recipes_are_refused_with_a_sentence(bad, words):
    with pytest.raises(ValueError, match=words):
        transformer.Recipe(**bad)


def test_board_facts_are_the_shipped_scores():
    b = transformer_lab.board(transformer_lab.Board(), *map(resolve, transformer_lab.SHIPPED_SOURCES))
    f = b.facts
    letters = dict(zip(b.scores["design"], b.scores["letter accuracy"]))
    assert (f.encoder_letters, f.decoder_letters, f.causal_letters, f.nopos_letters) == tuple(
        letters[transformer_lab.label(d)] for d in ("encoder", "decoder", "causal", "nopos"))
    causal = b.by_position[b.by_position.model == transformer_lab.label("causal")]["letter accuracy"].tolist()
    encoder = b.by_position[b.by_position.model == transformer_lab.label("encoder")]["letter accuracy"].tolist()
    assert (f.causal_first_letter, f.causal_last_letter, f.encoder_first_letter) == (causal[0], causal[-1], encoder[0])
    assert f.answer_positions == transformer.MAX_LEN and f.n_val == transformer.N_VAL
    decoder = transformer.build(transformer.Recipe(design="decoder"))
    assert f.same_size and f.weights_each == transformer.n_params(decoder)
    assert f.weights_each == transformer.shipped_parameters()  # what the page's intro says, read without a model
    assert f.causal_first_letter < 0.1 < 0.9 < f.causal_last_letter  # the future is hidden, the past is not


def test_copy_facts_compare_the_best_head_with_a_uniform_spread_over_what_each_row_may_read():
    word = "ATTENTION"
    full = transformer_lab.read(transformer_lab.Read(word=word), transformer.shipped())
    assert full.copy_facts.uniform_weight == pytest.approx(1 / transformer.MAX_LEN)  # every row reads all 10 positions
    best = full.copy.loc[full.copy["weight on the letter to copy"].idxmax()]
    assert (full.copy_facts.copy_layer, full.copy_facts.copy_head) == (best.layer, best["head"])
    assert full.copy_facts.copies and full.copy_facts.copy_weight > 0.5
    causal_source = Source("transformer", asset=transformer.asset("causal"))
    causal = transformer_lab.read(transformer_lab.Read(word=word, source=causal_source), resolve(causal_source))
    # answer position j (0-based) may read positions 0..j under the causal mask: a uniform row gives 1 / (j + 1)
    assert causal.copy_facts.uniform_weight == pytest.approx(np.mean([1 / (j + 1) for j in range(len(word))]))
    assert not causal.copy_facts.copies  # most letters to copy lie in its future: it cannot look them up


def test_generation_facts_and_position_facts_are_what_the_tables_show():
    decoder = Source("transformer", asset=transformer.asset("decoder"))
    g = transformer_lab.read(transformer_lab.Read(word="GREEDY", source=decoder), resolve(decoder))
    f = g.generation_facts
    assert (f.generated, f.expected_answer, f.generated_right, f.word_letters) == ("YDEERG", "YDEERG", 6, 6)
    assert f.generation_steps == len(g.steps) == 7 and f.least_sure == g.steps.probability.min()
    pe = transformer.positional_encoding(32, 32)
    unit = pe / pe.norm(dim=1, keepdim=True)
    p = transformer_lab.positions(transformer_lab.Positions()).facts
    assert p.similarity_next == pytest.approx(float(unit[0] @ unit[1]), abs=1e-6)
    assert p.far_position == 8 and p.similarity_far == pytest.approx(float(unit[0] @ unit[8]), abs=1e-6)
    assert p.first_period == pytest.approx(2 * np.pi) and p.last_period == pytest.approx(2 * np.pi * 10000 ** (30 / 32))
    assert transformer_lab.positions(transformer_lab.Positions(length=5)).facts.far_position == 4
