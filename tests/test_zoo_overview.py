"""The zoo overview: the slides' framing for every architecture, and counts measured from the weight files."""
from pathlib import Path

import pytest
import torch
from torch import nn

from core.charts import overview as overview_charts
from core.zoo import overview, weights

ROOT = Path(__file__).resolve().parent.parent


def test_every_architecture_of_slides_66_to_71_has_its_three_lines_and_a_page():
    table = overview.architectures()
    assert table["slide"].tolist() == ["66", "67", "68", "69", "70", "71"]
    assert (table[["purpose", "layers", "output"]].map(len) > 20).all().all()
    assert all(p.startswith("pages/") and p.endswith(".py") for p in table["page"])


def test_shipped_counts_weights_not_batch_norm_statistics(tmp_path):
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))
    weights.save("cnn_test", net, {"task": "digits", "val_accuracy": 0.975, "epochs": 3}, tmp_path)
    weights.save("gan_ring", nn.Linear(2, 2), {"energy_distance": 0.01}, tmp_path)
    table = overview.shipped(tmp_path).set_index("asset")
    assert table.loc["cnn_test", "parameters"] == sum(p.numel() for p in net.parameters())  # 40 + 8 + 10
    assert table.loc["cnn_test", "architecture"] == "CNN"
    assert table.loc["cnn_test", "measured"] == "val accuracy 0.975"  # epochs is a setting, not a score
    assert table.loc["gan_ring", "architecture"] == "GAN"
    assert table.loc["cnn_test", "size (KiB)"] > 0


def test_the_shipped_assets_all_read_back_and_belong_to_an_architecture():
    table = overview.shipped()
    assert (table["parameters"] > 0).all()
    assert set(table["architecture"]) <= set(overview.architectures()["architecture"])
    assert table["size (KiB)"].sum() < 8 * 1024  # "a few MB in all"


def test_the_parameters_chart_shows_every_asset_name_in_full():
    models = overview.shipped()
    spec = overview_charts.parameters(models).to_dict()
    axis = spec["encoding"]["y"]["axis"]
    assert axis["labelOverlap"] is False  # Vega dropped 9 of 18 labels as overlapping
    assert axis["labelLimit"] >= 8 * max(map(len, models["asset"]))  # 8 px a character at 13 px: none cut
    assert spec["height"] == {"step": 22}  # a row of 22 px per bar, however many assets


def test_shipped_facts_name_the_largest_and_smallest_model_and_the_total_size(tmp_path):
    weights.save("cnn_big", nn.Linear(10, 10), {}, tmp_path)  # 110 weights
    weights.save("gan_small", nn.Linear(2, 1), {}, tmp_path)  # 3 weights
    table = overview.shipped(tmp_path)
    facts = overview.shipped_facts(table)
    assert (facts.largest_asset, facts.largest_architecture, facts.largest_parameters) == ("cnn_big", "CNN", 110)
    assert (facts.smallest_asset, facts.smallest_parameters, facts.n_models) == ("gan_small", 3, 2)
    assert facts.total_mib == pytest.approx(sum(p.stat().st_size for p in tmp_path.glob("*.pt")) / 2**20, abs=1e-3)
    assert (facts.n_architectures, facts.architectures_with_models) == (6, 2)  # CNN and GAN have a model, 4 do not
    with pytest.raises(ValueError, match="No shipped models"):
        overview.shipped_facts(table.iloc[:0])


def test_every_card_of_the_overview_has_a_shipped_model_behind_it():
    facts = overview.shipped_facts(overview.shipped())
    assert facts.architectures_with_models == facts.n_architectures == 6
