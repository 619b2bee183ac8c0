"""The layer table is what a forward pass really does, and it leaves the model as it found it."""
import pytest
import torch
from torch import nn

from core.zoo import shapes


def _net():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))


def test_trace_lists_each_layer_with_its_output_shape_and_parameters():
    net = _net()
    table = shapes.trace(net, torch.zeros(2, 1, 8, 8))
    assert table["kind"].tolist() == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    assert table["output shape"].tolist() == [(4, 8, 8), (4, 8, 8), (4, 4, 4), (64,), (10,)]
    assert table["parameters"].tolist() == [4 * 9 + 4, 0, 0, 0, 64 * 10 + 10]
    assert table["parameters"].sum() == sum(p.numel() for p in net.parameters())
    assert shapes.describe((4, 8, 8)) == "4 × 8 × 8"


def test_hooks_are_removed_and_the_mode_restored_even_when_forward_fails():
    net = _net().train()
    with pytest.raises(RuntimeError, match="expected input.* to have 1 channels"):
        shapes.trace(net, torch.zeros(2, 3, 8, 8))  # wrong channel count
    assert all(not m._forward_hooks for m in net.modules())
    assert net.training
