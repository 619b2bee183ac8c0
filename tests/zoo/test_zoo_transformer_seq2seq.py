"""The tiny encoder-decoder: it reverses held-out words, its cross-attention draws the anti-diagonal, it is the
library's multi-head attention, and its shipped file is what the script makes."""
import pytest
import torch
from torch import nn

from core.zoo import transformer, transformer_seq2seq as seq2seq, weights
from core.zoo.__main__ import makers

HELD_OUT = transformer.split_words(seq2seq.Recipe().n_train)[1]


def test_the_shipped_model_reverses_held_out_words_and_its_meta_says_so():
    trained = seq2seq.shipped()
    scores = seq2seq.score(trained.model, HELD_OUT[: seq2seq.N_SCORED])
    assert scores["word_accuracy"] >= 0.95  # exact match, greedy decoding
    assert scores == pytest.approx(trained.scores, abs=1e-4)  # the file's meta is what its weights score now
    rest = seq2seq.score(trained.model, HELD_OUT[seq2seq.N_SCORED:])  # words its meta never saw
    assert rest["word_accuracy"] >= 0.95 and rest["anti_diagonal"] >= 0.9


def test_cross_attention_peaks_on_the_anti_diagonal():
    r = seq2seq.translate(seq2seq.Translate("sequence"), seq2seq.shipped())
    f = r.facts
    assert (f.wrote, f.expected, f.right) == ("ECNEUQES", "ECNEUQES", True)
    peaks = r.cross.loc[r.cross.groupby("output position")["weight"].idxmax()]
    letters = peaks[peaks["output position"] < 8]
    assert ((letters["input position"] + letters["output position"]) == 7).mean() >= 0.75
    assert f.anti_diagonal == ((letters["input position"] + letters["output position"]) == 7).mean()
    # answer letter i (from 1) of an n-letter word reads input position n - i (from 0), as the page's notice says
    assert (letters["answer letter"] == letters["output position"] + 1).all()
    assert f.anti_diagonal == (letters["input position"] == 8 - letters["answer letter"]).mean()
    assert r.cross.groupby("output position")["weight"].sum().between(1 - 1e-5, 1 + 1e-5).all()
    assert f.held_out_words == seq2seq.shipped().scores["word_accuracy"] and f.n_scored == seq2seq.N_SCORED


def test_cross_attention_is_torchs_multi_head_attention():
    block = seq2seq.shipped().model.decoder[0]
    D, H = 32, 2
    mha = nn.MultiheadAttention(D, H, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([block.cross.q.weight, block.cross.kv.weight]))
        mha.in_proj_bias.copy_(torch.cat([block.cross.q.bias, block.cross.kv.bias]))
        mha.out_proj.weight.copy_(block.cross.out.weight)
        mha.out_proj.bias.copy_(block.cross.out.bias)
    g = torch.Generator().manual_seed(0)
    x, memory = torch.randn(3, 7, D, generator=g), torch.randn(3, 10, D, generator=g)
    ours, our_weights = block.cross(x, memory)
    theirs, their_weights = mha(x, memory, memory, need_weights=True, average_attn_weights=False)
    assert torch.allclose(ours, theirs, atol=1e-5) and torch.allclose(our_weights, their_weights, atol=1e-6)


def test_the_script_makes_it_and_a_quick_make_fits_the_shipped_shapes(tmp_path):
    assert makers()[seq2seq.ASSET] is seq2seq.make
    model, meta = seq2seq.make(quick=True)
    state, read_meta = weights.read(weights.save(seq2seq.ASSET, model, meta, tmp_path))
    shipped_state, shipped_meta = weights.load(seq2seq.ASSET)
    assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in shipped_state.items()}
    assert read_meta["epochs"] == 1 and shipped_meta["epochs"] == seq2seq.Recipe().epochs
    assert shipped_meta["seed"] == 0 and not shipped_meta["quick"]


@pytest.mark.parametrize("word, problem", [("A", "between 2 and 10"), ("AB1", "'1'")])
def test_bad_words_are_refused(word, problem):
    with pytest.raises(ValueError, match=problem):
        seq2seq.Translate(word)
