"""Stacked and bidirectional LSTMs (slide 69): torch's own modules, what the head reads, the shipped race's facts."""
from __future__ import annotations

import dataclasses

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
    answers = recurrent_lstms.halves(net, x)
    assert torch.equal(answers["both"], answers["backward only"])
    assert (answers["forward only"] == net.head.bias.argmax()).all()  # nothing left but the bias
    with pytest.raises(ValueError, match="Only a bidirectional network"):
        recurrent_lstms.halves(_net("LSTM"), x)


def test_the_shipped_race_reads_back_with_its_parameters_and_its_lstm_is_the_memory_races(lstms):
    assert {n: weights.count(net) for n, net in lstms.networks.items()} == {
        "LSTM": 5508, STACKED: 13956, BIDIRECTIONAL: 11012}  # 4H(V + H + 2) + head; + 4H(2H + 2); x2 + a wider head
    race = recurrent.shipped()  # same recipe, data, schedule and seed: the same LSTM, weight for weight
    assert lstms.recipe == dataclasses.replace(race.recipe, code_version=lstms.recipe.code_version)
    for key, value in race.networks["LSTM"].state_dict().items():
        torch.testing.assert_close(lstms.networks["LSTM"].state_dict()[key], value, atol=1e-6, rtol=0)


def test_quick_weight_making_gives_loadable_weights_of_the_shipped_shapes(tmp_path):
    model, meta = recurrent.make_lstms(quick=True)
    state, meta_back = weights.read(weights.save(recurrent.LSTM_RACE, model, meta, tmp_path))
    shipped, shipped_meta = weights.load(recurrent.LSTM_RACE)
    assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in shipped.items()}
    assert meta_back["race"]["epochs"] == recurrent.QUICK["epochs"]
    assert meta_back["accuracy_vs_length"]["length"] == [*recurrent.QUICK_LENGTHS, 60]
    assert shipped_meta["accuracy_vs_length"]["length"] == list(recurrent.LENGTHS)
    assert [len(c) for c in meta_back["curves"].values()] == [2, 2, 2]  # epoch 0 and 1
