"""The zoo overview: the slides' framing for every architecture, and counts measured from the weight files."""
from pathlib import Path

import pytest
from torch import nn

from core.charts import overview as overview_charts
from core.zoo import overview, weights
from ui import lesson_map

ROOT = Path(__file__).resolve().parents[2]


def test_every_architecture_of_slides_66_to_71_has_its_three_lines_and_a_page():
    table = overview.architectures()
    assert table["slide"].tolist() == ["66", "67", "68", "69", "70", "71"]
    assert (table[["purpose", "layers", "output"]].map(len) > 20).all().all()
    # core names chapters by key; the lesson map knows each one's page, and that page exists
    assert table["chapter"].tolist() == ["cnn", "autoencoders", "fcn", "recurrent", "transformer", "gan"]
    assert all((ROOT / lesson_map.chapter(key).page).is_file() for key in table["chapter"])
    assert overview.architecture("gan").name == "GAN"
    with pytest.raises(ValueError, match="No zoo architecture for the chapter"):
        overview.architecture("zoo")


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
    assert len(table) > 0  # the files are in the repository: an empty folder must fail here
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
    largest = (facts.largest_assets, facts.largest_architectures, facts.largest_parameters)
    assert largest == (("cnn_big",), ("CNN",), 110)
    assert (facts.smallest_assets, facts.smallest_parameters, facts.n_models) == (("gan_small",), 3, 2)
    assert facts.n_largest == facts.n_smallest == 1
    assert facts.total_mib == pytest.approx(sum(p.stat().st_size for p in tmp_path.glob("*.pt")) / 2**20, abs=1e-3)
    assert (facts.n_architectures, facts.architectures_with_models) == (6, 2)  # CNN and GAN have a model, 4 do not
    with pytest.raises(ValueError, match="No shipped models"):
        overview.shipped_facts(table.iloc[:0])


def test_every_card_of_the_overview_has_a_shipped_model_behind_it():
    facts = overview.shipped_facts(overview.shipped())
    assert facts.architectures_with_models == facts.n_architectures == 6


def test_shipped_facts_name_every_model_that_ties_for_the_largest(tmp_path):
    """Lecturer's review: four Transformers tie at 27,292 weights, and the page named one of them "the largest"."""
    for name in ("transformer_b", "transformer_a", "cnn_tie"):
        weights.save(name, nn.Linear(10, 10), {}, tmp_path)  # 110 weights each
    weights.save("gan_small", nn.Linear(2, 1), {}, tmp_path)
    facts = overview.shipped_facts(overview.shipped(tmp_path))
    assert facts.largest_assets == ("cnn_tie", "transformer_a", "transformer_b") and facts.n_largest == 3
    assert facts.largest_architectures == ("CNN", "Transformer") and facts.largest_parameters == 110
    assert (facts.smallest_assets, facts.smallest_architectures, facts.n_smallest) == (("gan_small",), ("GAN",), 1)


def test_the_shipped_largest_model_is_the_encoder_decoder_transformer():
    models = overview.shipped()
    facts = overview.shipped_facts(models)
    most = int(models.parameters.max())
    assert facts.largest_assets == tuple(sorted(models.asset[models.parameters == most]))
    assert facts.largest_assets == ("transformer_seq2seq",)  # its encoder, decoder and cross-attention
    assert facts.largest_architectures == ("Transformer",) and facts.largest_parameters == most == 31_644
    assert facts.smallest_assets == ("cnn_digits",) and facts.smallest_parameters == 3_658


def test_the_fcns_mean_iou_is_named_as_the_mean_over_the_three_shapes(tmp_path):
    weights.save("fcn_test", nn.Linear(2, 2), {"val_mean_iou": 0.843, "val_pixel_accuracy": 0.982}, tmp_path)
    measured = overview.shipped(tmp_path).set_index("asset").loc["fcn_test", "measured"]
    assert measured == "val mean IoU over the three shapes 0.843, val pixel accuracy 0.982"


def test_per_model_scores_name_their_score_once():
    """The zoo overview's 'measured' cell of a file with one score per model ("val_accuracy_LSTM", ...): the
    score's name once, then each model's value (three names in full made the table wider than the page)."""
    scores = overview._scores({"val_accuracy_RNN": 0.2431, "val_accuracy_LSTM": 1.0, "epochs": 5, "val_loss": 0.1})
    assert scores == "val accuracy: RNN 0.243, LSTM 1, val loss 0.1"
