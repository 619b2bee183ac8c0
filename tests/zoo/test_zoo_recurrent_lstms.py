"""Stacked and bidirectional LSTMs (slide 69): torch's own modules, what the head reads, the shipped race's facts."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from core.zoo import recurrent, recurrent_lstms, sequences, weights
from core.zoo.recurrent_lstms import BIDIRECTIONAL, STACKED


@pytest.fixture(scope="module")
def lstms() -> recurrent.Lstms:
    return recurrent.shipped_lstms()


@pytest.fixture(scope="module")
def result(lstms) -> recurrent_lstms.LstmResult:
    return recurrent_lstms.lstm_variants(recurrent_lstms.LstmVariants(), lstms)


def _net(name: str, seed: int = 0) -> recurrent.SequenceNet:
    return recurrent.lstm_network(recurrent.Recipe(hidden=8), name, torch.Generator().manual_seed(seed))


def _one_layer(lstm: torch.nn.LSTM, suffix: str) -> torch.nn.LSTM:
    """A one-layer nn.LSTM holding the weights of one layer / direction of `lstm` ("_l1", "_l0_reverse")."""
    single = torch.nn.LSTM(lstm.input_size if suffix.startswith("_l0") else lstm.hidden_size * (1 + lstm.bidirectional),
                           lstm.hidden_size, batch_first=True)
    single.load_state_dict({f"{k}_l0": getattr(lstm, f"{k}{suffix}") for k in
                            ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    return single


def test_the_stacked_lstm_is_nn_lstm_with_two_layers_and_two_written_out_lstms():
    net = _net(STACKED)
    x_ids = sequences.recall(16, 25, seed=5)[0]
    x = F.one_hot(x_ids, sequences.VOCAB).float()
    reference = torch.nn.LSTM(sequences.VOCAB, 8, num_layers=2, batch_first=True)
    reference.load_state_dict(net.recurrent.state_dict())
    with torch.no_grad():
        out, (h_n, _) = reference(x)
        torch.testing.assert_close(net(x_ids), net.head(h_n[-1]), atol=1e-6, rtol=0)  # head reads layer 2's last h
        layer1 = recurrent.lstm_steps(_one_layer(net.recurrent, "_l0"), x)["h"]  # (N, T, H)
        layer2 = recurrent.lstm_steps(_one_layer(net.recurrent, "_l1"), layer1)["h"]  # layer 2 reads layer 1's h
    torch.testing.assert_close(layer2, out, atol=1e-6, rtol=0)


def test_the_bidirectional_head_reads_the_forward_pass_at_the_end_and_the_backward_pass_at_the_start():
    net = _net(BIDIRECTIONAL)
    x_ids = sequences.recall(16, 25, seed=6)[0]
    x = F.one_hot(x_ids, sequences.VOCAB).float()
    reference = torch.nn.LSTM(sequences.VOCAB, 8, bidirectional=True, batch_first=True)
    reference.load_state_dict(net.recurrent.state_dict())
    with torch.no_grad():
        out, (h_n, _) = reference(x)  # h_n (2, N, H): forward's final state, backward's final state
        torch.testing.assert_close(net(x_ids), net.head(torch.cat([h_n[0], h_n[1]], 1)), atol=1e-6, rtol=0)
        forward = recurrent.lstm_steps(_one_layer(net.recurrent, "_l0"), x)["h"]
        backward = recurrent.lstm_steps(_one_layer(net.recurrent, "_l0_reverse"), x.flip(1))["h"].flip(1)
    torch.testing.assert_close(torch.cat([forward, backward], 2), out, atol=1e-6, rtol=0)
    states = torch.arange(2 * 3 * 4.0).reshape(2, 3, 4)  # (N, T, 2H) with H = 2
    assert recurrent.BothEnds()(states).tolist() == [[8.0, 9.0, 2.0, 3.0], [20.0, 21.0, 14.0, 15.0]]


def test_the_keep_gate_bias_goes_to_every_layer_and_direction():
    for name in (STACKED, BIDIRECTIONAL):
        plain = recurrent.SequenceNet("LSTM", 8, keep_bias=0.0, generator=torch.Generator().manual_seed(0),
                                      layers=recurrent.LSTMS[name][0], bidirectional=recurrent.LSTMS[name][1])
        kept = _net(name)  # Recipe's keep-gate bias, +3
        for (key, a), b in zip(plain.recurrent.named_parameters(), kept.recurrent.parameters()):
            shift = torch.zeros_like(a)
            if key.startswith("bias_ih"):
                shift[8:16] = 3.0  # the forget gate's rows (i, f, g, o)
            torch.testing.assert_close(b - a, shift, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="1 to 3 stacked layers"):
        recurrent.SequenceNet("LSTM", 8, layers=4)


def test_zeroing_a_half_of_what_the_bidirectional_head_reads_leaves_the_other_half():
    net = _net(BIDIRECTIONAL)
    x = sequences.recall(64, 20, seed=7)[0]
    with torch.no_grad():
        net.head.weight[:, :8] = 0  # the head ignores the forward pass: only the backward half decides
    answers = recurrent.halves(net, x)
    assert torch.equal(answers["both"], answers["backward only"])
    assert (answers["forward only"] == net.head.bias.argmax()).all()  # nothing left but the bias
    with pytest.raises(ValueError, match="Only a bidirectional network"):
        recurrent.halves(_net("LSTM"), x)


def test_the_shipped_race_reads_back_with_its_parameters_and_its_lstm_is_the_memory_races(lstms):
    assert {n: weights.count(net) for n, net in lstms.networks.items()} == {
        "LSTM": 5508, STACKED: 13956, BIDIRECTIONAL: 11012}  # 4H(V + H + 2) + head; + 4H(2H + 2); x2 + a wider head
    memory_race = recurrent.shipped().networks["LSTM"].state_dict()  # the one-layer LSTM is read from there
    assert all(torch.equal(lstms.networks["LSTM"].state_dict()[k], v) for k, v in memory_race.items())
    assert set(weights.load(recurrent.LSTM_RACE)[0]) == {f"{n}.{k}" for n in (STACKED, BIDIRECTIONAL)
                                                          for k in lstms.networks[n].state_dict()}


def test_the_races_one_layer_lstm_is_the_memory_races_weight_for_weight():
    """Same recipe, data, initialization and shuffling: the one-layer LSTM need not be shipped twice."""
    recipe = dataclasses.replace(recurrent.Recipe(length=20), **recurrent.QUICK)
    ours, race = recurrent.race_lstms(recipe)["networks"]["LSTM"], recurrent.train(recipe).networks["LSTM"]
    for key, value in race.state_dict().items():
        torch.testing.assert_close(ours.state_dict()[key], value, atol=1e-6, rtol=0)


def test_quick_weight_making_gives_loadable_weights_of_the_shipped_shapes(tmp_path):
    model, meta = recurrent.make_lstms(quick=True)
    state, meta_back = weights.read(weights.save(recurrent.LSTM_RACE, model, meta, tmp_path))
    shipped, shipped_meta = weights.load(recurrent.LSTM_RACE)
    assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in shipped.items()}
    assert meta_back["race"]["epochs"] == recurrent.QUICK["epochs"]
    assert meta_back["accuracy_vs_length"]["length"] == [*recurrent.QUICK_LENGTHS, 60]
    assert shipped_meta["accuracy_vs_length"]["length"] == list(recurrent.LENGTHS)
    assert [len(c) for c in meta_back["curves"].values()] == [2, 2, 2]  # epoch 0 and 1
    assert meta_back["accuracy_vs_seed"]["seed"] == list(recurrent.QUICK_SEEDS)
    assert set(meta_back["halves_vs_seed"]) == {"seed", *recurrent.HALVES}


def test_the_shipped_accuracies_are_what_the_networks_score_on_sequences_they_never_saw(lstms):
    meta = weights.load(recurrent.LSTM_RACE)[1]
    x, y = sequences.recall(1000, lstms.recipe.length, seed=1234)
    with torch.no_grad():
        for name, net in lstms.networks.items():
            accuracy = float((net(x).argmax(-1) == y).float().mean())
            assert accuracy == pytest.approx(meta["accuracy_vs_length"][name][-1], abs=0.05), name


def test_the_facts_read_the_shipped_race_and_show_what_each_variant_adds_across_seeds(result):
    meta = weights.load(recurrent.LSTM_RACE)[1]
    f, sweep, seeds = result.facts, meta["accuracy_vs_length"], meta["accuracy_vs_seed"]
    assert (f.longest_length, f.far_lstm, f.far_stacked, f.far_bidirectional) == (
        60, sweep["LSTM"][-1], sweep[STACKED][-1], sweep[BIDIRECTIONAL][-1])
    recalls = {name: sum(a >= 0.9 for a in seeds[name]) for name in recurrent.LSTMS}
    assert (f.seeds_lstm, f.seeds_stacked, f.seeds_bidirectional) == tuple(recalls.values())
    assert seeds["seed"] == [0, 1, 2, 3, 4] and f.n_seeds == 5
    # the bidirectional LSTM recalls at every length, with every seed, from epoch 1: its backward pass ends on the
    # symbol; the one-layer LSTM fails with some seeds; the second layer adds no recall at length 60
    assert f.reach_bidirectional == 60 and f.seeds_bidirectional == 5 and f.epoch_bidirectional == 1
    assert f.seeds_lstm < f.seeds_bidirectional and f.bidirectional_everywhere and f.epoch_lstm == 1
    assert f.direction_adds and f.params_second_layer == 13956 - 5508 == 4 * 32 * (2 * 32 + 2)
    assert f.stacked_behind and f.seeds_stacked == 0 and f.far_stacked < f.chance + 0.05 and f.epoch_stacked == 0
    assert f.reach_stacked == 45  # up to 45 tokens it recalls like the others
    # the backward half alone recalls with every seed; the forward half alone only where the one-layer LSTM could
    halves = meta["halves_vs_seed"]
    assert f.seeds_backward_only == 5 and f.seeds_forward_only < 5
    forward = {s for s, a in zip(halves["seed"], halves["forward only"]) if a >= 0.9}
    assert forward <= {s for s, a in zip(seeds["seed"], seeds["LSTM"]) if a >= 0.9}
    # seed 0's halves, measured when the file was made, are what the shipped network reads now
    assert (f.forward_only, f.backward_only) == pytest.approx((halves["forward only"][0], halves["backward only"][0]),
                                                              abs=1e-4)
    assert result.summary["first epoch at 90%"].tolist() == ["1", "never", "1"]


def test_first_epoch_is_the_first_at_the_level_or_zero():
    assert recurrent_lstms.first_epoch(pd.Series([0.25, 0.5, 0.95, 0.8, 0.99])) == 2
    assert recurrent_lstms.first_epoch(pd.Series([0.25, 0.5])) == 0
