"""core.charts: every builder gives a valid Vega-Lite spec in the one palette and theme, within the point budget."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import charts
from core.charts import MAX_POINTS, PALETTE, recurrent as rch

VARIANTS = ["lr 0.001", "lr 0.1", "lr 3.0"]


def _spec(chart) -> dict:
    # Altair's default transformer, as ui.show uses it: it refuses datasets over 5,000 rows.
    return charts.style(chart).to_dict()  # to_dict validates against the Vega-Lite schema


def _history(epochs: int = 30) -> pd.DataFrame:
    rows = [
        (variant, epoch, split, metric, 1.0 / (epoch + 1 + i) if metric == "loss" else epoch / epochs)
        for i, variant in enumerate(VARIANTS)
        for epoch in range(epochs)
        for split in ("train", "validation")
        for metric in ("loss", "accuracy")
    ]
    return pd.DataFrame(rows, columns=["variant", "epoch", "split", "metric", "value"])


def _grid(n: int) -> pd.DataFrame:
    axis = np.linspace(-2.0, 2.0, n)
    x1, x2 = np.meshgrid(axis, axis)
    return pd.DataFrame({"x1": x1.ravel(), "x2": x2.ravel(), "p": 1 / (1 + np.exp(-3 * x1 * x2)).ravel()})


def _points(n: int) -> pd.DataFrame:
    xy = np.random.default_rng(0).uniform(-2, 2, (n, 2))
    return pd.DataFrame({
        "x1": xy[:, 0], "x2": xy[:, 1], "label": (xy[:, 0] * xy[:, 1] > 0).astype(int),
        "split": np.where(np.arange(n) % 4 == 0, "validation", "train"),
    })


def test_style_sets_projector_fonts_and_no_frame():
    config = _spec(charts.bars(pd.DataFrame({"m": ["a"], "v": [1.0]}), "m", "v"))["config"]
    assert (config["axis"]["labelFontSize"], config["axis"]["titleFontSize"]) == (13, 14)
    assert config["legend"]["labelFontSize"] == 13 and config["title"]["fontSize"] == 14
    assert config["view"]["strokeWidth"] == 0


def test_curves_colour_variants_in_palette_and_dash_validation():
    spec = _spec(charts.curves(_history()))
    colour, dash = spec["encoding"]["color"], spec["encoding"]["strokeDash"]
    assert colour["field"] == "variant"
    assert colour["scale"] == {"domain": VARIANTS, "range": list(PALETTE)}
    assert dash["scale"] == {"domain": ["train", "validation"], "range": [[1, 0], [6, 4]]}
    assert (spec["encoding"]["x"]["title"], spec["encoding"]["y"]["title"]) == ("epoch", "loss")
    assert len(spec["datasets"][spec["data"]["name"]]) == 3 * 30 * 2  # loss rows only


def test_curves_say_solid_and_dashed_in_the_subtitle_not_in_a_legend_too_wide_for_half_a_page():
    spec = _spec(charts.curves(_history()))
    assert spec["encoding"]["strokeDash"]["legend"] is None
    assert spec["title"]["text"] and "solid: train · dashed: validation" in spec["title"]["subtitle"]
    assert not spec["mark"]["clip"] and "domainMax" not in spec["encoding"]["y"]["scale"]  # nothing blew up


def test_a_blown_up_loss_leaves_the_top_of_a_plot_scaled_to_the_other_runs():
    rows = [("lr 30", e, s, "loss", v) for e, v in ((0, 0.7), (1, 22.5)) for s in ("train", "validation")]
    blown = pd.DataFrame(rows,
                         columns=["variant", "epoch", "split", "metric", "value"])
    history = pd.concat([_history(), blown], ignore_index=True)
    spec = _spec(charts.curves(history))
    lines, arrows = spec["layer"]
    assert lines["mark"]["clip"] is True
    assert lines["encoding"]["y"]["scale"]["domainMax"] == pytest.approx(1.0)  # the others' highest loss
    assert arrows["mark"]["shape"] == "triangle-up"  # where it left the plot, on its top edge
    tops = [(r["variant"], r["epoch"], r["top"]) for r in spec["datasets"][arrows["data"]["name"]]]
    assert tops == [("lr 30", 1, 1.0)]
    assert any(line.startswith("▲ at the top") for line in spec["title"]["subtitle"])
    (row,) = spec["datasets"][arrows["data"]["name"]]
    assert row["value"] == 22.5  # how high it went: in the triangle's tooltip
    assert "value" in {t["field"] for t in arrows["encoding"]["tooltip"]}
    assert not _spec(charts.curves(history, log_y=True))["mark"]["clip"]  # a log axis shows it all
    spec = _spec(charts.marked_curves(history, pd.DataFrame(columns=["variant", "epoch", "event"])))
    assert any(line.startswith("▲ at the top") for line in spec["title"]["subtitle"])


def test_marked_curves_key_the_lines_and_the_rules_in_the_subtitle():
    marks = pd.DataFrame([(VARIANTS[0], 5, "best validation loss: weights kept"), (VARIANTS[0], 9, "stopped")],
                         columns=["variant", "epoch", "event"])
    spec = _spec(charts.marked_curves(_history(), marks))
    assert spec["title"]["subtitle"] == ["solid: train · dashed: validation", charts.regularization.RULE_KEY]
    assert all(layer["encoding"]["strokeDash"]["legend"] is None for layer in spec["layer"])
    assert all("title" not in layer for layer in spec["layer"])


def test_curves_log_scale_and_accuracy():
    spec = _spec(charts.curves(_history(), metric="accuracy", log_y=True))
    assert spec["encoding"]["y"]["title"] == "accuracy (log scale)"
    assert spec["encoding"]["y"]["scale"]["type"] == "log"


def test_curves_without_the_metric_is_a_value_error():
    with pytest.raises(ValueError, match="no 'accuracy'"):
        charts.curves(_history().query("metric == 'loss'"), metric="accuracy")


def test_thin_keeps_every_line_within_the_budget_with_its_ends():
    n = 30_000
    df = pd.DataFrame({"variant": np.repeat(["a", "b"], n // 2), "iteration": np.tile(np.arange(n // 2), 2)})
    thinned = charts.thin(df, by=("variant",))
    assert 3_500 <= len(thinned) <= MAX_POINTS
    for _, line in thinned.groupby("variant"):
        assert line["iteration"].iloc[0] == 0 and line["iteration"].iloc[-1] == n // 2 - 1
        assert line["iteration"].diff().dropna().max() <= 7  # k = ceil(30000 / 4996) = 7
    small = df.head(100)
    assert charts.thin(small, by=("variant",)) is small


def test_thin_refuses_more_lines_than_it_can_draw():
    df = pd.DataFrame({"variant": np.arange(12_000), "x": 0.0})
    with pytest.raises(ValueError, match="Too many lines"):
        charts.thin(df, by=("variant",))


def test_iteration_loss_is_thinned_to_the_budget():
    n = 25_000
    df = pd.DataFrame({"variant": "batch 8", "iteration": np.arange(n), "epoch": np.arange(n) // 500,
                       "loss": np.linspace(1, 0.1, n)})
    chart = charts.iteration_loss(df)
    assert len(chart.data) <= MAX_POINTS and chart.data["iteration"].iloc[-1] == n - 1
    spec = _spec(chart)
    assert spec["encoding"]["x"]["title"] == "iteration" and spec["mark"]["strokeWidth"] == 1


def test_lines_colour_each_series():
    x = np.linspace(-3, 3, 50)
    df = pd.concat([pd.DataFrame({"z": x, "a": f(x), "activation": name})
                    for name, f in [("sigmoid", lambda v: 1 / (1 + np.exp(-v))), ("ReLU", lambda v: np.maximum(v, 0))]])
    spec = _spec(charts.lines(df, "z", "a", "activation", "input z", "output"))
    assert spec["encoding"]["color"]["scale"]["domain"] == ["sigmoid", "ReLU"]
    assert spec["encoding"]["x"]["title"] == "input z"


def test_lines_on_a_log_axis_say_so_in_the_title():
    df = pd.DataFrame({"step": [0, 1, 2], "error": [1.0, 0.1, 0.01], "curve": "flat"})
    y = _spec(charts.lines(df, "step", "error", "curve", "step", "error", log_y=True))["encoding"]["y"]
    assert y["scale"] == {"type": "log"} and y["title"] == "error (log scale)"
    assert "scale" not in _spec(charts.lines(df, "step", "error", "curve", "step", "error"))["encoding"]["y"]


def test_the_rate_map_marks_divergence_the_lowest_rate_momentum_and_the_chosen_point():
    from core import momentum

    result = momentum.valley(momentum.Valley())
    spec = _spec(charts.rate_map(result.rate_map, result.lowest_rates, 0.4, 0.5, title="map"))
    image, key, marks = spec["layer"]  # the marks share one colour scale: one legend
    region, line, dot = marks["layer"]
    datasets = spec["datasets"]
    blown = pd.DataFrame(datasets[region["data"]["name"]])
    assert len(blown) == 51 and blown["lo"].min() == pytest.approx(0.495)  # lr 0.5 to 1 (λ_max = 4), a rect each
    assert blown["bottom"].min() == pytest.approx(-0.005)  # from μ = 0 up, as the map's cells do
    lowest = pd.DataFrame(datasets[line["data"]["name"]])
    assert lowest.set_index("lr").loc[0.4, "momentum"] == 0.64  # critical damping of the flat direction
    assert datasets[dot["data"]["name"]] == [{"lr": 0.4, "momentum": 0.5, "mark": "your lr = 0.4, μ = 0.5"}]
    assert line["encoding"]["color"]["scale"]["range"] == [charts.optimization.DIVERGES, "#000000", charts.ORANGE]
    assert image["mark"]["type"] == "image" and key["encoding"]["color"]["title"] == "rate per step"


def test_boundary_layers_click_selection_and_palette():
    chart = charts.boundary(_grid(50), _points(300), title="XOR")
    spec = _spec(chart)
    assert [param["name"] for param in spec["params"]] == ["click"]
    assert spec["params"][0]["select"]["fields"] == ["x1", "x2"]
    heat, dots = spec["layer"]
    assert heat["encoding"]["color"]["scale"]["domain"] == [0, 0.5, 1]
    assert dots["encoding"]["stroke"]["scale"] == {"domain": ["0", "1"], "range": list(PALETTE)}
    assert dots["encoding"]["stroke"]["legend"] is None  # two classes read off the P(class 1) legend
    assert len(chart.layer[0].data) == 2_500 and len(chart.layer[1].data) == 300


def test_boundary_marks_the_point_asked_about_with_its_prediction_beside_it():
    left = _spec(charts.boundary(_grid(5), _points(10), "t", marker=(-1.5, 0.2, "class 0 · P(class 1) = 0.10")))
    right = _spec(charts.boundary(_grid(5), _points(10), "t", marker=(1.5, 0.2, "class 1")))
    cross, halo, words = left["layer"][2:]
    assert (cross["mark"]["shape"], halo["mark"]["type"], words["mark"]["color"]) == ("cross", "text", "black")
    assert words["mark"]["align"] == "left" and right["layer"][-1]["mark"]["align"] == "right"  # on the roomy side
    assert left["datasets"][words["data"]["name"]] == [{"x1": -1.5, "x2": 0.2, "text": "class 0 · P(class 1) = 0.10"}]
    assert len(_spec(charts.boundary(_grid(5), _points(10), "t"))["layer"]) == 2  # no marker: the map alone


def test_boundary_with_more_classes_keeps_a_class_legend_in_numeric_order():
    points = _points(30).assign(label=[2, 10, 1] * 10)
    dots = _spec(charts.boundary(_grid(10), points))["layer"][1]
    assert dots["encoding"]["stroke"]["scale"]["domain"] == ["1", "2", "10"]
    assert dots["encoding"]["stroke"]["legend"]["orient"] == "right"


def test_boundary_thins_a_big_grid_regularly_and_the_points():
    chart = charts.boundary(_grid(200), _points(20_000))
    cells, dots = chart.layer[0].data, chart.layer[1].data
    assert cells["x1"].nunique() == cells["x2"].nunique() == 67  # every 3rd of 200 values
    assert len(cells) == 67 * 67 <= charts.GRID_CELLS
    assert len(dots) == 5_000 == MAX_POINTS  # every 4th point: ceil(20000 / 5000) = 4
    _spec(chart)


def test_confusion_writes_counts_in_label_order():
    df = pd.DataFrame({"actual": [1, 1, 0, 0], "predicted": [1, 0, 1, 0], "count": [52, 5, 3, 40]})
    spec = _spec(charts.confusion(df))
    cells, text = spec["layer"]
    assert cells["encoding"]["x"]["sort"] == [0, 1] and text["encoding"]["text"]["field"] == "count"
    assert cells["encoding"]["color"]["scale"]["range"] == ["#F7F7F7", PALETTE[0]]


def test_bars_group_side_by_side_by_colour():
    df = pd.DataFrame({"model": ["a", "b", "a", "b"], "accuracy": [0.8, 0.9, 0.85, 0.7],
                       "split": ["train", "train", "validation", "validation"]})
    grouped = _spec(charts.bars(df, "model", "accuracy", color="split"))
    assert grouped["encoding"]["xOffset"]["field"] == "split"
    assert grouped["encoding"]["color"]["scale"]["range"] == list(PALETTE)
    single = _spec(charts.bars(df.head(2), "model", "accuracy"))
    assert single["encoding"]["color"] == {"value": PALETTE[0]}


def test_cosine_strips_title_fits_a_half_column_and_each_row_holds_its_ticks():
    directions = pd.DataFrame({"variant": np.repeat(["batch 1", "batch 16", "full batch"], 4),
                               "draw": np.tile(np.arange(4), 3), "cosine": np.linspace(-1, 1, 12)})
    spec = _spec(charts.cosine_strips(directions))
    title = spec["encoding"]["x"]["title"]
    # The strips sit in a half column: at 1,400 px its plot is ~380 px wide, 40 characters at 14 px (~7 px each).
    assert isinstance(title, list) and len(title) == 2 and max(map(len, title)) <= 40
    # The height counts the axis labels and the two title lines (~90 px); what is left gives each row a whole tick.
    assert (spec["height"] - 90) / 3 >= spec["mark"]["size"] == 28


def _accuracy_rows(x: str) -> pd.DataFrame:
    """RNN falling to chance, GRU and LSTM both at 100% everywhere: their lines coincide."""
    return pd.DataFrame([(cell, n, 1.0 if cell != "RNN" else max(0.25, 1 - n / 40))
                         for cell in ("RNN", "GRU", "LSTM") for n in (5, 10, 20, 30)], columns=["cell", x, "accuracy"])


@pytest.mark.parametrize("build", [
    lambda: rch.length_curves(_accuracy_rows("length").rename(columns={"accuracy": "validation accuracy"})
                              .assign(networks="shipped")),
    lambda: rch.step_accuracy(_accuracy_rows("step")),
], ids=["length_curves", "step_accuracy"])
def test_coinciding_gru_and_lstm_lines_stay_visible_and_the_legend_shows_each_line(build):
    wide, lines = _spec(build())["layer"][:2]
    assert wide["transform"] == [{"filter": "(datum.cell === 'LSTM')"}]  # the LSTM first, underneath the others
    encoding = lines["encoding"]
    dash = dict(zip(encoding["strokeDash"]["scale"]["domain"], encoding["strokeDash"]["scale"]["range"]))
    width = dict(zip(encoding["strokeWidth"]["scale"]["domain"], encoding["strokeWidth"]["scale"]["range"]))
    assert dash["GRU"] == [7, 4] and dash["LSTM"] == [1, 0]  # the LSTM shows in the gaps of the GRU's dashes
    assert width["LSTM"] >= 2 * width["GRU"] and width["RNN"] <= 3  # and on both sides of it
    for channel in ("color", "strokeDash", "strokeWidth"):  # one legend of line samples: colour, dash and width
        assert encoding[channel]["field"] == "cell" and encoding[channel]["title"] == "cell"
        assert encoding[channel]["legend"] == {"symbolType": "stroke", "symbolSize": 900}


def test_the_lstm_races_legend_names_its_three_lstms_only_and_each_cell_keeps_its_colour():
    """Section 6's chart once listed RNN and GRU in its legend and drew its LSTM sample over a label: the dash and
    width scales had the memory race's domain, the colours another one."""
    race = pd.DataFrame([(cell, n, 1.0) for cell in ("LSTM", "2-layer LSTM", "bidirectional LSTM") for n in (5, 60)],
                        columns=["cell", "length", "validation accuracy"]).assign(networks="shipped")
    memory = _spec(rch.length_curves(_accuracy_rows("length").rename(columns={"accuracy": "validation accuracy"})
                                     .assign(networks="shipped")))["layer"][1]["encoding"]
    encoding = _spec(rch.length_curves(race))["layer"][1]["encoding"]
    for channel in ("color", "strokeDash", "strokeWidth"):
        assert encoding[channel]["scale"]["domain"] == ["LSTM", "2-layer LSTM", "bidirectional LSTM"]
    colour = dict(zip(encoding["color"]["scale"]["domain"], encoding["color"]["scale"]["range"]))
    assert colour["LSTM"] == dict(zip(memory["color"]["scale"]["domain"], memory["color"]["scale"]["range"]))["LSTM"]
    assert len(set(colour.values())) == 3
    dash = dict(zip(encoding["strokeDash"]["scale"]["domain"], encoding["strokeDash"]["scale"]["range"]))
    assert dash["bidirectional LSTM"] == [7, 4]  # drawn dashed over the wide LSTM where both reach 100%


def _contrast_on_white(colour: str) -> float:
    """WCAG contrast ratio of `colour` against white (1: invisible, 21: black)."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_every_palette_colour_reads_as_a_line_on_white_and_streamlit_uses_the_same_palette():
    assert all(_contrast_on_white(c) >= 2 for c in PALETTE), [(c, round(_contrast_on_white(c), 2)) for c in PALETTE]
    config = (Path(__file__).parents[2] / ".streamlit" / "config.toml").read_text()
    assert f"chartCategoricalColors = {json.dumps(list(PALETTE))}" in config


def test_ranked_bars_lie_flat_with_full_labels_and_their_values_written_at_the_ends():
    board = pd.DataFrame({"remedy": ["no remedy (baseline)", "combination: L2 + early stopping", "dropout"],
                          "validation accuracy": [0.882, 0.894, 0.889]})
    bars_, numbers = _spec(charts.ranked_bars(board, "remedy", "validation accuracy"))["layer"]
    assert bars_["mark"]["type"] == "bar" and bars_["encoding"]["y"]["field"] == "remedy"  # horizontal
    assert bars_["encoding"]["y"]["sort"] == board["remedy"].tolist()
    assert bars_["encoding"]["y"]["axis"]["labelLimit"] >= 6 * max(map(len, board["remedy"]))  # no label cut
    assert numbers["mark"]["type"] == "text" and numbers["encoding"]["text"]["format"] == ".1%"
    assert bars_["encoding"]["x"]["scale"]["domain"][1] > board["validation accuracy"].max()  # room for the numbers


def test_an_epoch_axis_counts_whole_epochs():
    # With four epochs Vega ticked 0.0, 0.2, ... 4.0 (page 5, seen in Chromium).
    history = pd.DataFrame({"variant": "a", "epoch": [0, 1, 2, 3, 4], "split": "train", "metric": "accuracy",
                            "value": [0.1, 0.5, 0.7, 0.8, 0.9]})
    axis = json.dumps(_spec(charts.curves(history, "accuracy")))
    assert '"tickMinStep": 1' in axis and '"format": "d"' in axis


def test_a_landscape_draws_its_bands_as_one_picture_coloured_and_oriented_as_the_rects_were():
    """The heat layer is one image mark over the plot's edges: one pixel per grid cell, the top row the highest
    w2, each cell coloured by its band along the white-to-blue range as Vega-Lite's HCL scale would."""
    import base64
    import io

    from PIL import Image

    from core import landscapes
    from core.charts import raster
    from core.charts.theme import BLUE, tint

    surface = landscapes.surface_grid("two_valleys", 20)
    paths = pd.DataFrame({"optimizer": ["SGD"], "step": [0], "w1": [0.0], "w2": [0.0], "loss": [1.0]})
    spec = charts.landscape(surface, paths, "two valleys").to_dict()
    image = spec["layer"][0]
    assert image["mark"]["type"] == "image" and image["mark"]["smooth"] is False
    row = pd.DataFrame(image["data"]["values"]) if "values" in image["data"] else pd.DataFrame(
        spec["datasets"][image["data"]["name"]])
    png = Image.open(io.BytesIO(base64.b64decode(row["url"][0].split(",", 1)[1])))
    pixels = np.asarray(png.convert("RGB"))
    assert pixels.shape == (20, 20, 3)
    table = raster.colour_table(["#FFFFFF", tint(BLUE, 0.15)])
    top = surface[surface.w2 == surface.w2.max()].sort_values("w1")  # the picture's first row
    expected = table[np.round(top["level"].to_numpy() / surface["level"].max() * (len(table) - 1)).astype(int)]
    np.testing.assert_array_equal(pixels[0], expected)
    half = (surface.w1.max() - surface.w1.min()) / 19 / 2  # half a cell: the picture spans the cells' outer edges
    assert (row["x"][0], row["x2"][0]) == pytest.approx((surface.w1.min() - half, surface.w1.max() + half))
    assert row["y"][0] > row["y2"][0]  # y: the top edge
    assert len(spec["layer"]) == 4 and not any(layer["mark"]["type"] == "rect" for layer in spec["layer"])


def test_a_map_only_looked_at_is_one_picture_with_the_same_colours_and_legend():
    import base64
    import io

    from PIL import Image

    from core.charts import raster
    from core.charts.theme import BOUNDARY_RANGE

    x1, x2 = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(0, 2, 4))
    grid = pd.DataFrame({"x1": x1.ravel(), "x2": x2.ravel(), "p": (x1.ravel() + 1) / 2})  # p rises to the right
    grid.loc[grid.index[-1], "p"] = np.nan  # the top right cell: NaN, drawn as the middle colour
    points = pd.DataFrame({"x1": [0.0], "x2": [1.0], "label": [1], "split": ["train"]})
    clicked, looked = (charts.boundary(grid, points, "map", clickable=c).to_dict() for c in (True, False))
    assert [p["name"] for p in clicked["params"]] == ["click"] and "params" not in looked
    picture = looked["layer"][0]["layer"]
    assert picture[0]["mark"]["type"] == "image" and picture[1]["encoding"]["color"]["title"] == "P(class 1)"
    values = looked["datasets"][picture[0]["data"]["name"]][0]
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(values["url"].split(",", 1)[1]))).convert("RGB"))
    table = raster.colour_table(BOUNDARY_RANGE)
    assert pixels.shape == (4, 5, 3)
    np.testing.assert_array_equal(pixels[-1], table[[0, 60, 120, 180, 240]])  # bottom row (x2 = 0), left to right
    np.testing.assert_array_equal(pixels[0, -1], table[120])  # NaN
    assert (values["x"], values["x2"], values["y"], values["y2"]) == pytest.approx((-1.25, 1.25, 2 + 1 / 3, -1 / 3))


def test_the_gan_map_is_one_picture_of_ds_belief_spanning_its_box_with_the_points_inside():
    from core.charts import gan as gan_charts

    box, n = (-3.0, 3.0, -3.0, 3.0), 40
    centres = -3 + (np.arange(n) + 0.5) * 6 / n
    x1, x2 = np.meshgrid(centres, centres)
    maps = pd.DataFrame({"x1": x1.ravel(), "x2": x2.ravel(), "p": (x1.ravel() > 0).astype(float)})
    real = pd.DataFrame({"x1": [0.0, 5.0], "x2": [0.0, 0.0]})  # the second lies outside the box
    samples = pd.DataFrame({"x1": [1.0], "x2": [-1.0]})
    spec = gan_charts.game_map(maps, samples, real, box, "D").to_dict()
    picture, dots = spec["layer"]
    image, key = picture["layer"]
    assert image["mark"]["type"] == "image" and key["encoding"]["color"]["title"] == "D: P(real)"
    values = spec["datasets"][image["data"]["name"]][0]
    assert (values["x"], values["x2"], values["y2"], values["y"]) == pytest.approx(box)  # the cells tile the box
    assert spec["datasets"][dots["data"]["name"]] == [{"x1": 0.0, "x2": 0.0, "kind": "real"},
                                                     {"x1": 1.0, "x2": -1.0, "kind": "generated"}]
    assert "rect" not in json.dumps(spec)  # no cell drawn as a mark of its own
