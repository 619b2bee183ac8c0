"""Shipped weights are plain tensors and a plain header; nothing else is ever unpickled."""
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from core.zoo import weights


class _Boom:
    """Unpickling this would run code: weights.read must refuse it before that can happen."""

    def __reduce__(self):
        return (print, ("this must never run",))


def test_a_saved_model_reads_back_equal(tmp_path):
    net = nn.Linear(3, 2)
    path = weights.save("lin", net, {"task": "demo", "accuracy": 0.97, "layers": [3, 2]}, tmp_path)
    state, meta = weights.read(path)
    assert meta == {"task": "demo", "accuracy": 0.97, "layers": [3, 2]}
    loaded = weights.into(nn.Linear(3, 2), state)
    x = torch.randn(4, 3)
    assert torch.equal(loaded(x), net(x).detach())
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())


def test_a_header_with_objects_is_refused_before_saving(tmp_path):
    with pytest.raises(ValueError, match="plain values"):
        weights.save("bad", nn.Linear(1, 1), {"rng": torch.Generator()}, tmp_path)


@pytest.mark.parametrize("payload", [
    lambda: {"state": {"w": torch.zeros(1)}, "meta": {}, "evil": _Boom()},  # an object weights_only refuses
    lambda: {"state": {"w": [1, 2]}, "meta": {}},  # no tensor
    lambda: [torch.zeros(1)],  # not the expected layout
])
def test_files_that_are_not_plain_weights_are_refused(tmp_path, payload, capsys):
    path = tmp_path / "x.pt"
    torch.save(payload(), path)
    with pytest.raises(ValueError, match="not a weights file|does not hold a state|something other than tensors"):
        weights.read(path)
    assert "must never run" not in capsys.readouterr().out


def test_damaged_and_missing_files_raise_a_sentence(tmp_path):
    path = tmp_path / "cut.pt"
    weights.save("cut", nn.Linear(2, 2), {}, tmp_path)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="cannot|not a weights file"):
        weights.read(path)
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps(_Boom()))
    with pytest.raises(ValueError, match="not a weights file"):
        weights.read(raw)
    with pytest.raises(ValueError, match="python -m core.zoo"):
        weights.read(tmp_path / "absent.pt")


def test_weights_of_another_shape_do_not_load(tmp_path):
    state, _ = weights.read(weights.save("lin", nn.Linear(3, 2), {}, tmp_path))
    with pytest.raises(ValueError, match="do not fit"):
        weights.into(nn.Linear(4, 2), state)


def test_a_string_subclass_in_the_header_is_refused_on_saving(tmp_path):
    with pytest.raises(ValueError, match="plain values"):
        weights.save("v", nn.Linear(1, 1), {"torch": torch.__version__}, tmp_path)  # a TorchVersion, not a str


def test_the_make_script_writes_files_that_load_safely(tmp_path, monkeypatch):
    from core.zoo import __main__ as make

    demo = lambda quick: (nn.Linear(2, 3), {"task": "demo", "quick_budget": quick})  # noqa: E731
    monkeypatch.setattr(make, "makers", lambda: {"demo": demo})
    assert make.main(["--quick", "--out", str(tmp_path)]) == 0
    state, meta = weights.read(tmp_path / "demo.pt")
    assert state["weight"].shape == (3, 2)
    assert meta["quick"] is True and meta["torch"] == str(torch.__version__) and meta["seconds_to_make"] >= 0


def test_count_is_the_learned_weights_and_into_takes_arrays_too():
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    assert weights.count(net) == 3 * 2 + 2 + 2 + 2  # weights, biases, gamma, beta: not the running statistics
    state = {k: v.numpy() + 1 for k, v in net.state_dict().items()}  # a Trained keeps its weights as arrays
    loaded = weights.into(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)), state)
    assert all(torch.equal(t, torch.as_tensor(state[k])) for k, t in loaded.state_dict().items())


def test_curves_for_a_files_meta_read_back_as_the_trainers_history():
    rows = [("net", epoch, split, metric, 0.5 + epoch / 3 + (split == "train") + 2 * (metric == "loss"))
            for epoch in (1, 0, 2) for split in ("validation", "train") for metric in ("accuracy", "loss")]
    tidy = pd.DataFrame(rows + [("other", 0, "train", "loss", 9.0)], columns=["variant", "epoch", "split", "metric",
                                                                               "value"])
    kept = weights.curves(tidy, "net", ("loss", "accuracy"), 4)
    assert list(kept) == ["train loss", "train accuracy", "validation loss", "validation accuracy"]
    assert kept["train loss"] == [3.5, 3.8333, 4.1667]  # epochs in order, rounded; the other variant left out
    back = weights.history({"net": kept}).sort_values(["split", "metric", "epoch"], ignore_index=True)
    expected = tidy[tidy.variant == "net"].sort_values(["split", "metric", "epoch"], ignore_index=True)
    assert back[["variant", "epoch", "split", "metric"]].equals(expected[["variant", "epoch", "split", "metric"]])
    assert np.allclose(back.value, expected.value, atol=1e-4)
