"""RNN / GRU / LSTM on the recall task: the LSTM remembers where the RNN cannot, gates, gradients, shipped weights."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from core.zoo import recurrent, recurrent_lab, sequences, weights
from core.zoo.source import Source, resolve


@pytest.fixture(scope="module")
def shipped() -> recurrent.Trained:
    return recurrent.shipped()


def test_the_lstm_remembers_where_the_plain_rnn_cannot():
    """Length 40 (the symbol, then 39 distractors); budget: 2 epochs of 2,000 sequences, batches of 64, Adam at
    lr 0.005, keep-gate bias +3, seed 0, the three cells trained side by side. Measured on 1,000 fresh validation
    sequences: the LSTM must beat the plain RNN by at least 30 points (25% is chance)."""
    result = recurrent.train(recurrent.Recipe(length=40, epochs=2, n_train=2000))
    acc = result.accuracy.set_index("cell")["validation accuracy"]
    assert acc["LSTM"] - acc["RNN"] >= 0.30
    assert acc["RNN"] < 0.5  # the RNN has not found the symbol at this length
    assert (result.facts.own_rnn, result.facts.own_lstm, result.facts.own_length) == (acc["RNN"], acc["LSTM"], 40)


def test_the_shipped_networks_keep_their_gap_on_sequences_they_never_saw():
    state, meta = weights.load(recurrent.SINGLE)
    cfg = recurrent.Recipe(**meta["race"])
    x, y = sequences.recall(1000, cfg.length, seed=1234)
    models = recurrent.nets(state, cfg.hidden)
    with torch.no_grad():
        acc = {cell: float((net(x).argmax(-1) == y).float().mean()) for cell, net in models.items()}
    assert acc["LSTM"] - acc["RNN"] >= 0.30
    for cell in recurrent.CELLS:  # the accuracies in the file's meta are what the networks really score
        assert acc[cell] == pytest.approx(meta[f"val_accuracy_{cell}"], abs=0.05)


def test_the_written_out_lstm_equations_are_nn_lstm():
    lstm = torch.nn.LSTM(sequences.VOCAB, 16, batch_first=True)
    x = F.one_hot(sequences.recall(8, 30, seed=0)[0], sequences.VOCAB).float()
    out, (h_n, c_n) = lstm(x)
    steps = recurrent.lstm_steps(lstm, x)
    torch.testing.assert_close(steps["h"], out, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(steps["c"][:, -1], c_n[0], atol=1e-6, rtol=1e-5)


def test_gates_lie_strictly_between_0_and_1_and_the_cell_state_does_not(shipped):
    result = recurrent_lab.gates(recurrent_lab.Gates(), shipped)
    gates = result.gates[result.gates.quantity != "cell state"]["value"]
    assert len(gates) == 3 * len(result.tokens) * 32
    assert gates.gt(0).all() and gates.lt(1).all()
    assert result.gates[result.gates.quantity == "cell state"]["value"].abs().max() > 1  # a sum, not squashed
    assert result.answers.set_index("cell").loc["LSTM", "right"]
    assert result.trained_length == len(result.tokens) == 60
    ends = np.array(list(result.ends.values()))  # unit 1 ends apart for the four possible first symbols
    assert np.diff(np.sort(ends)).min() > 0.5


def test_a_keep_gate_bias_makes_a_fresh_lstm_remember_by_default():
    x = F.one_hot(sequences.recall(64, 20, seed=0)[0], sequences.VOCAB).float()
    fresh = {b: recurrent.SequenceNet("LSTM", 32, keep_bias=b, generator=torch.Generator().manual_seed(0))
             for b in (0.0, 3.0)}
    with torch.no_grad():
        forget = {b: float(recurrent.lstm_steps(net.recurrent, x)["f"].mean()) for b, net in fresh.items()}
    assert forget[0.0] == pytest.approx(0.5, abs=0.1)
    assert forget[3.0] > 0.9


def test_more_gradient_reaches_the_early_steps_in_the_lstm_than_in_the_rnn(shipped):
    flow = recurrent_lab.gradient_flow(recurrent_lab.GradientFlow(n_sequences=64), shipped)
    early = flow.norms[flow.norms.step <= 5].groupby(["stage", "cell"])["gradient norm"].mean()
    for stage in recurrent_lab.STAGES:
        assert early[stage, "LSTM"] > 100 * early[stage, "RNN"]
    ratio = flow.table.set_index(["cell", "stage"])["step 1 / last step"]
    assert ratio["RNN", "at initialization"] < 1e-6 < 0.1 < ratio["LSTM", "at initialization"]  # vanishing vs kept


def test_single_and_sequence_outputs_have_their_shapes(shipped):
    x = sequences.recall(5, 12, seed=0)[0]
    for per_step, shape in ((False, (5, 4)), (True, (5, 12, 4))):
        assert recurrent.SequenceNet("GRU", 8, per_step=per_step)(x).shape == shape
    result = recurrent_lab.outputs(recurrent_lab.Outputs(), shipped, recurrent.shipped(recurrent.STEPS))
    assert len(result.steps) == 4 * len(result.tokens)
    assert np.allclose(result.steps.groupby("step")["probability"].sum(), 1, atol=1e-5)
    last = result.per_position[result.per_position.step == result.trained_length].set_index("cell")["accuracy"]
    assert last["LSTM"] - last["RNN"] >= 0.30
    assert list(result.layers_single["output shape"])[-1] == (4,)
    assert list(result.layers_steps["output shape"])[-1] == (len(result.tokens), 4)


@pytest.mark.parametrize("maker, name", [(recurrent.make_single, recurrent.SINGLE),
                                         (recurrent.make_steps, recurrent.STEPS)])
def test_quick_weight_making_gives_loadable_weights_of_the_shipped_shapes(tmp_path, maker, name):
    model, meta = maker(quick=True)
    path = weights.save(name, model, meta, tmp_path)
    state, meta_back = weights.read(path)
    shipped, _ = weights.load(name)
    assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in shipped.items()}
    cfg = recurrent.Recipe(**meta_back["race"])
    assert cfg.epochs == recurrent.QUICK["epochs"]
    models = recurrent.nets(state, cfg.hidden, cfg.per_step)
    assert set(models) == set(recurrent.CELLS)


def test_sequences_are_seeded_and_their_answer_is_the_first_symbol():
    x, y = sequences.recall(50, 15, seed=3)
    x2, y2 = sequences.recall(50, 15, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert torch.equal(y, x[:, 0]) and (y < sequences.N_CLASSES).all()
    assert (x[:, 1:] >= sequences.N_CLASSES).all()  # only distractors after the symbol
    _, steps = sequences.recall(50, 15, seed=3, per_step=True)
    assert steps.shape == (50, 15) and torch.equal(steps[:, -1], y)
    assert sequences.decode(sequences.encode("C w x y")[0]) == "Cwxy"


@pytest.mark.parametrize("text, words", [
    ("Awxq", "'q' cannot"),
    ("wAxy", "must start with one of the symbols"),
    ("A", "between 2 and 120"),
    ("A" + "w" * 200, "between 2 and 120"),
])
def test_a_bad_typed_sequence_is_refused_with_a_sentence(text, words):
    with pytest.raises(ValueError, match=words):
        recurrent_lab.Gates(sequence=text)


@pytest.mark.parametrize("field, value, words", [
    ("length", 4, "sequence length"), ("length", 101, "sequence length"), ("keep_bias", -1.0, "keep-gate bias"),
    ("epochs", 0, "number of epochs"), ("hidden", 2, "hidden units"),
    ("batch_size", 5000, "Batch size must be between 1 and the number of training sequences"),
])
def test_a_race_outside_its_ranges_is_refused(field, value, words):
    with pytest.raises(ValueError, match=words):
        dataclasses.replace(recurrent.Recipe(), **{field: value})


def test_reach_is_the_longest_length_before_the_first_miss():
    table = pd.DataFrame({"cell": ["RNN"] * 4 + ["LSTM"] * 4, "length": [5, 10, 20, 40] * 2,
                          "validation accuracy": [1.0, 0.95, 0.5, 0.97, 1.0, 1.0, 1.0, 1.0], "networks": "shipped"})
    assert recurrent_lab.reach(table) == {"RNN": 10, "LSTM": 40}
    assert recurrent_lab.reach(table.assign(**{"validation accuracy": 0.3})) == {"RNN": 0, "LSTM": 0}


def test_length_facts_read_the_shipped_sweep(shipped):
    sweep = weights.load(recurrent.SINGLE)[1]["accuracy_vs_length"]
    f = recurrent_lab.lengths(recurrent_lab.Lengths(), shipped).facts
    first_miss = next(i for i, a in enumerate(sweep["RNN"]) if a < 0.9)  # the RNN's first length under 90%
    assert f.reach_rnn == sweep["length"][first_miss - 1] == 20
    assert (f.longest_length, f.far_rnn) == (60, sweep["RNN"][-1])
    assert (f.far_lstm, f.far_gru) == (sweep["LSTM"][-1], sweep["GRU"][-1])
    assert f.rnn_falls and f.gated_hold and f.chance == 0.25 and f.far_rnn < f.chance + 0.05


def test_the_forget_floor_is_true_as_printed(shipped):
    """The old sentence printed the lowest forget gate rounded to 2 decimals (0.958 -> "never drops below 0.96")."""
    g = recurrent_lab.gates(recurrent_lab.Gates(), shipped)
    gates = g.memory[(g.memory.quantity == "forget gate") & (g.memory.step > 1)]["value"]
    f = g.facts
    assert float(f"{f.forget_floor:.2f}") <= gates.min() < f.forget_floor + 0.01
    assert f.forget_product == pytest.approx(float(np.prod(gates.to_numpy(dtype=np.float64))), rel=1e-4)
    assert f.keeps_most and f.lstm_right and not f.length_differs and f.lstm_answer == g.tokens[0]
    assert f.cell_ends == tuple(g.ends.values()) and f.cell_last == pytest.approx(g.ends[g.tokens[0]], abs=1e-5)
    short = recurrent_lab.gates(recurrent_lab.Gates(sequence="A" + "wxyz" * 6), shipped).facts
    assert short.length_differs and short.typed_length == 25 and short.trained_length == 60


def test_flow_facts_tell_the_cell_path_from_the_measured_ratio(shipped):
    """Along the fresh LSTM's cell alone, 59 forget gates (0.95 on average) keep under a tenth of the gradient; the
    measured ratio is far larger, so a sentence must not present it as the forget gates' product."""
    flow = recurrent_lab.gradient_flow(recurrent_lab.GradientFlow(), shipped)
    f = flow.facts
    ratio = flow.table.set_index(["cell", "stage"])["step 1 / last step"]
    stage = recurrent_lab.STAGES[0]
    assert (f.rnn_ratio_fresh, f.lstm_ratio_fresh) == (ratio["RNN", stage], ratio["LSTM", stage])
    assert f.rnn_step_factor ** f.flow_steps_back == pytest.approx(f.rnn_ratio_fresh, rel=1e-6)
    assert f.flow_steps_back == 59 and f.rnn_step_factor < 0.7 and f.lstm_step_factor > 0.99
    assert f.forget_mean_fresh == pytest.approx(0.95, abs=0.01) and f.keep_bias == 3.0
    assert f.forget_product_fresh < 0.1 and f.gates_add and f.lstm_ratio_fresh > 5 * f.forget_product_fresh
    assert f.rnn_vanishes and f.rnn_trained_vanishes


def test_output_facts_are_the_per_step_accuracies(shipped):
    o = recurrent_lab.outputs(recurrent_lab.Outputs(), shipped, recurrent.shipped(recurrent.STEPS))
    f = o.facts
    assert (f.rnn_at_first, f.rnn_at_tenth, f.rnn_at_last) == (o.accuracy_at(1)["RNN"], o.accuracy_at(10)["RNN"],
                                                               o.accuracy_at(60)["RNN"])
    assert f.rnn_fades and f.lstm_at_last == o.accuracy_at(60)["LSTM"] == 1.0
    assert (f.single_answer, f.output_tokens, f.steps_trained_length) == (o.single["answer"], 60, 60)


def test_views_run_on_the_networks_they_are_handed_and_never_train_any(forbid_training):
    """Every view of the page runs on resolved shipped races with training switched off."""
    forbid_training(recurrent, "train")
    single, steps = resolve(Source("recurrent")), resolve(Source("recurrent", asset=recurrent.STEPS))
    assert recurrent_lab.gates(recurrent_lab.Gates(), single).facts.lstm_right
    assert len(recurrent_lab.outputs(recurrent_lab.Outputs(), single, steps).per_position) > 0
    assert len(recurrent_lab.lengths(recurrent_lab.Lengths(), single).table) > 0
    assert recurrent_lab.gradient_flow(recurrent_lab.GradientFlow(n_sequences=8), single).facts.flow_length == 60
    with pytest.raises(ValueError, match="asks for the shipped recurrent_recall_steps but was handed another"):
        recurrent_lab.outputs(recurrent_lab.Outputs(), steps, single)
    with pytest.raises(ValueError, match="no accuracy-vs-length sweep"):
        recurrent_lab.lengths(recurrent_lab.Lengths(), steps)
    with pytest.raises(ValueError, match="its recipe did not make"):  # a result must be cached under its model
        recurrent_lab.gates(recurrent_lab.Gates(source=Source("recurrent", recurrent.Recipe(length=10))), single)
    with pytest.raises(ValueError, match="No shipped recurrent networks"):
        recurrent.shipped("recurrent_other")
