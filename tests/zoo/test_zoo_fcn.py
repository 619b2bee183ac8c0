"""The FCN of the zoo: scenes as drawn, IoU and outlines as defined, shipped weights that segment held-out scenes."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from core import charts
from core.charts import fcn as fcn_charts
from core.images import CLASS_COLOURS
from core.zoo import fcn, fcn_lab, scenes, shapes, weights
from core.zoo.source import Inspect, Source


def _source(up: str = fcn.UPSAMPLING[0]) -> Source:
    return Source("fcn", asset=fcn.ASSETS[up])


def _inspect(up: str = fcn.UPSAMPLING[0]) -> fcn_lab.InspectResult:
    """The shipped network of decoder `up`, inspected."""
    return fcn_lab.inspect(Inspect(_source(up)), fcn.shipped(fcn.ASSETS[up]))


def _look(scene: int) -> fcn_lab.LookResult:
    return fcn_lab.look(fcn_lab.Look(_source(), scene=scene), fcn.shipped())


def test_scenes_are_the_same_for_the_same_seed_and_differ_for_another():
    a, b, c = scenes.make(20, seed=5), scenes.make(20, seed=5), scenes.make(20, seed=6)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.masks, b.masks) and a.shapes == b.shapes
    assert not np.array_equal(a.masks, c.masks)
    assert a.images.shape == (20, 1, 32, 32) and a.images.dtype == np.float32
    assert a.masks.shape == (20, 32, 32) and a.masks.dtype == np.int64
    assert a.images.min() >= 0 and a.images.max() <= 1


def test_masks_match_the_drawn_shapes():
    s = scenes.make(30, seed=3)
    for mask, drawn in zip(s.masks, s.shapes):
        assert 1 <= len(drawn) <= 3
        for c in range(1, len(scenes.CLASSES)):  # every pixel of class c lies inside a drawn shape of class c
            inside = np.zeros_like(mask, dtype=bool)
            for cls, cx, cy, r in drawn:
                if cls == c:
                    inside |= scenes.shape_mask(scenes.CLASSES[cls], cx, cy, r)
            assert not ((mask == c) & ~inside).any()
        cls, cx, cy, r = drawn[-1]  # nothing covers the last shape drawn: all of it carries its class
        last = scenes.shape_mask(scenes.CLASSES[cls], cx, cy, r)
        assert last.sum() > 0 and (mask[last] == cls).all()
        assert ((mask > 0) == np.any([scenes.shape_mask(scenes.CLASSES[k], x, y, q) for k, x, y, q in drawn], 0)).all()


def test_shapes_are_bright_against_their_background():
    s = scenes.make(50, seed=4)
    shape_px, background = s.images[:, 0][s.masks > 0], s.images[:, 0][s.masks == 0]
    assert shape_px.mean() > background.mean() + 0.3


def test_impossible_scene_requests_are_refused():
    with pytest.raises(ValueError, match="between 1 and"):
        scenes.make(0, seed=1)
    with pytest.raises(ValueError, match="Unknown shape"):
        scenes.shape_mask("hexagon", 5, 5, 3)


def test_iou_on_hand_made_masks():
    truth = np.array([[0, 1, 1], [0, 1, 1], [2, 2, 0]])
    pred = np.array([[0, 1, 0], [0, 1, 1], [2, 0, 0]])
    got = scenes.iou(pred, truth)
    assert got[1] == pytest.approx(3 / 4)  # 3 shared pixels, 4 in either
    assert got[2] == pytest.approx(1 / 2)
    assert got[0] == pytest.approx(3 / 5)
    assert np.isnan(got[3])  # the triangle is in neither
    assert scenes.iou(truth, truth)[:3] == pytest.approx([1, 1, 1])
    assert scenes.iou(np.zeros_like(truth), truth)[1] == 0  # predicting nothing scores 0


def test_outlines_are_the_pixels_next_to_another_class():
    mask = np.zeros((5, 5), dtype=np.int64)
    mask[1:4, 1:4] = 1  # a 3 x 3 square: its 8 border pixels and the 12 background pixels around them
    got = scenes.edges(mask)
    assert not got[2, 2] and got[1, 1] and got[1, 2] and got[0, 2] and not got[0, 0]
    assert got.sum() == 8 + 12
    assert not scenes.edges(np.zeros((4, 4), dtype=np.int64)).any()
    assert np.array_equal(scenes.edges(np.stack([mask, mask])), np.stack([got, got]))  # batched the same


@pytest.mark.parametrize("up", fcn.UPSAMPLING)
def test_each_shipped_fcn_segments_held_out_scenes_with_mean_iou_above_0_8(up):
    ev = _inspect(up)
    assert ev.mean_iou >= 0.8
    assert (ev.iou["IoU"].iloc[1:] >= 0.7).all()
    assert ev.pixel_accuracy > ev.iou.loc[0, "share of pixels"]  # beats answering 'background' everywhere
    meta = fcn.shipped_meta(up)
    assert meta["recipe"]["upsampling"] == up
    assert ev.mean_iou == pytest.approx(meta["val_mean_iou"], abs=1e-3)  # the file's score is what it measures
    assert ev.mistakes_on_outlines > 2 * ev.outline_share  # what the page says: mistakes gather on outlines


@pytest.mark.parametrize("up", fcn.UPSAMPLING)
def test_the_diagram_is_a_real_forward_pass_that_keeps_the_image_size(up):
    net = fcn.SceneFCN(fcn.Recipe(upsampling=up)).eval()
    x = torch.zeros(2, 1, 32, 32)
    table = shapes.trace(net, x)
    by_hand = []
    with torch.no_grad():
        for layer in [*net.encoder, *net.decoder, net.classify]:
            x = layer(x)
            by_hand.append(tuple(x.shape[1:]))
    assert list(table["output shape"]) == by_hand
    assert by_hand[-1] == (len(scenes.CLASSES), 32, 32) and min(s[-1] for s in by_hand) == 8  # 32 -> 8 -> 32
    assert not (table["kind"] == "Linear").any()  # fully convolutional
    assert ("ConvTranspose2d" in set(table["kind"])) == (up == fcn.UPSAMPLING[0])
    assert table["parameters"].sum() == weights.count(net)
    assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 32, 32, len(scenes.CLASSES))  # classes last, for the trainer
    assert net(torch.zeros(1, 1, 64, 48)).shape == (1, 64, 48, len(scenes.CLASSES))  # any size divisible by 4


@pytest.mark.parametrize("asset", sorted(fcn.SHIPPED))
def test_quick_weight_making_gives_loadable_weights_of_the_shipped_shapes(asset, tmp_path):
    model, meta = fcn.SHIPPED[asset](quick=True)
    path = weights.save("fcn_quick", model, meta, tmp_path)
    state, read_meta = weights.read(path)
    shipped, _ = weights.load(asset)
    assert {k: tuple(v.shape) for k, v in state.items()} == {k: tuple(v.shape) for k, v in shipped.items()}
    assert 0 <= read_meta["val_mean_iou"] <= 1 and read_meta["recipe"]["epochs"] == 1
    rebuilt = weights.into(fcn.SceneFCN(fcn.Recipe(**read_meta["recipe"])), state)
    assert rebuilt(torch.zeros(1, 1, 32, 32)).shape == (1, 32, 32, len(scenes.CLASSES))


def test_a_students_run_is_handed_to_the_views_which_never_train(forbid_training):
    """The old views fetched the network from a process-wide cache and retrained a forgotten recipe silently."""
    recipe = replace(fcn.SHIPPED_RECIPE, epochs=1, n_train=300, upsampling=fcn.UPSAMPLING[1])
    seen = []
    run = fcn.train(recipe, on_progress=lambda f, part: seen.append((f, part)))
    assert seen[-1][0] == 1.0 and not run.shipped
    assert all(isinstance(part, fcn.Trained) and not part.state for _, part in seen)  # the curves so far, no weights
    assert len(seen[-1][1].history) > 0

    forbid_training(fcn, "train", "fit")
    source = Source("fcn", recipe)
    ev = fcn_lab.inspect(Inspect(source), run)
    assert "Upsample" in set(ev.layers["kind"])
    assert ev.mean_iou < _inspect(recipe.upsampling).mean_iou  # one epoch is far from twenty
    assert fcn_lab.look(fcn_lab.Look(source, scene=3), run).scene_facts.scene_index == 3
    with pytest.raises(ValueError, match="still training"):
        seen[-1][1].network()  # a partial result has no weights
    with pytest.raises(ValueError, match="asks for the shipped weights"):  # its result would be cached as the shipped
        fcn_lab.inspect(Inspect(_source(recipe.upsampling)), run)
    with pytest.raises(ValueError, match="asks for the shipped fcn_scenes_bilinear"):  # the other decoder's file
        fcn_lab.inspect(Inspect(_source(fcn.UPSAMPLING[1])), fcn.shipped(fcn.ASSETS[fcn.UPSAMPLING[0]]))


@pytest.mark.parametrize("up", fcn.UPSAMPLING)
def test_the_expected_time_scales_the_shipped_runs_by_epochs_times_scenes(up):
    """The time itself is the shipped file's measurement (the benchmark's business); here only how it scales."""
    most = fcn.Recipe(upsampling=up, epochs=fcn.MAX_EPOCHS, n_train=max(fcn.TRAIN_SIZES))
    full = fcn.expected_seconds(most)
    meta = fcn.shipped_meta(up)
    assert full == pytest.approx(meta["train_cpu_seconds"])  # the largest run is the shipped recipe's own
    half = replace(most, epochs=most.epochs // 2, n_train=300)
    work = (half.epochs * (300 + fcn.N_VAL)) / (most.epochs * (most.n_train + fcn.N_VAL))
    assert fcn.expected_seconds(half) == pytest.approx(full * work)


@pytest.mark.parametrize("bad", [{"upsampling": "magic"}, {"epochs": 0}, {"epochs": 999}, {"n_train": 5},
                                 {"width": 7}, {"lr": 1.0}, {"seed": -1}])
def test_impossible_recipes_are_refused_with_a_sentence(bad):
    with pytest.raises(ValueError, match=r"\.$"):
        fcn.Recipe(**bad)


def test_impossible_views_are_refused_with_a_sentence():
    with pytest.raises(ValueError, match="held-out scene between 0 and"):
        fcn_lab.Look(scene=fcn.N_VAL)
    with pytest.raises(ValueError, match="No shipped FCN named"):
        fcn.shipped("fcn_nearest_neighbour")
    with pytest.raises(ValueError, match="not both"):  # a shipped network or a student's recipe
        Source("fcn", fcn.Recipe(upsampling=fcn.UPSAMPLING[1]), asset=fcn.ASSETS[fcn.UPSAMPLING[0]])


def test_one_scene_per_pixel_and_as_one_label():
    i = fcn_lab.busiest_scene()
    truth = fcn.dataset().y_val[i].numpy()
    assert set(np.unique(truth)) == set(range(len(scenes.CLASSES)))  # the default scene shows every class
    seen = _look(i)
    assert len(seen.pictures) == 4 and all(p.shape[:2] == seen.pictures[0].shape[:2] for p in seen.pictures)
    assert seen.classes_present == scenes.CLASSES[1:]
    p = seen.heat[[f"P({c})" for c in scenes.CLASSES]].to_numpy()
    assert len(seen.heat) == truth.size and p.sum(1) == pytest.approx(1, abs=1e-3)  # a distribution per pixel
    assert seen.one_label["probability"].sum() == pytest.approx(1, abs=1e-5)  # and one for the whole scene
    assert seen.one_label["probability"].to_numpy() == pytest.approx(p.mean(0), abs=1e-4)
    assert seen.above_half["disc"] == (seen.heat["P(disc)"] > 0.5).sum()
    assert seen.true_pixels["disc"] == (truth == 2).sum()
    assert seen.heat["P(disc)"].max() > 0.9  # a disc is there, and the network is sure of some of its pixels
    predicted = seen.heat["predicted class"].map(scenes.CLASSES.index).to_numpy().reshape(truth.shape)
    assert seen.wrong == (predicted != truth).sum() and seen.wrong_on_outlines <= seen.wrong
    wrong_px = (seen.pictures[3] == fcn_lab.MISTAKE).all(-1)  # the mistakes picture marks exactly the wrong pixels
    assert wrong_px.sum() == seen.wrong * (seen.pictures[3].shape[0] // 32) ** 2
    assert not seen.iou["IoU"].isna().any()


def test_the_charts_are_valid_and_draw_each_class_in_its_mask_colour():
    ev = _inspect()
    seen = _look(3)
    for chart in (fcn_charts.iou(ev.iou, ev.mean_iou), fcn_charts.one_label(seen.one_label),
                  fcn_charts.probability_map(seen.heat, "square")):
        spec = charts.style(chart).to_dict()
        assert all(len(rows) <= charts.MAX_POINTS for rows in spec.get("datasets", {}).values())
    assert fcn_charts.MASK_HEX[:4] == ("#000000", "#0072b2", "#e69f00", "#009e73")
    assert [int(fcn_charts.MASK_HEX[2][i:i + 2], 16) for i in (1, 3, 5)] == list(CLASS_COLOURS[2])


def test_the_probability_map_is_grey_not_a_class_colour():
    """Issue 16: the map of P(class) ran from white to blue, the square's colour, whatever class it showed."""
    seen = _look(3)
    colours = fcn_charts.probability_map(seen.heat, "disc").to_dict()["encoding"]["color"]["scale"]["range"]
    assert not {c.lower() for c in colours} & {c.lower() for c in fcn_charts.MASK_HEX[1:]}
    for c in colours:  # grey: red, green and blue equal
        assert len({c[i:i + 2].lower() for i in (1, 3, 5)}) == 1


def test_the_score_facts_come_from_scoring_an_all_background_answer():
    ev = _inspect()
    sc = ev.score_facts
    share = ev.iou.set_index("class")["share of pixels"]
    assert sc.all_background_pixel_accuracy == pytest.approx(share["background"]) == sc.background_share
    assert sc.all_background_best_shape_iou == 0 and sc.fcn_pixel_accuracy > sc.all_background_pixel_accuracy + 0.1
    assert sc.hardest_shape_iou == ev.iou.set_index("class")["IoU"].iloc[1:].min()
    assert sc.other_upsampling == fcn.UPSAMPLING[1]
    assert sc.other_shipped_mean_iou == fcn.shipped_meta(fcn.UPSAMPLING[1])["val_mean_iou"]
    # "mean IoU over the three shapes" (the page says so): the stored mean leaves the background class out
    other = _inspect(fcn.UPSAMPLING[1]).iou.set_index("class")["IoU"]
    assert sc.other_shipped_mean_iou == pytest.approx(other[list(scenes.CLASSES[1:])].mean(), abs=1e-4)
    assert abs(sc.other_shipped_mean_iou - other.mean()) > 1e-3  # with the background it would be another number
    assert sc.mistakes_on_outline_share > 3 * sc.outline_pixel_share  # "mistakes crowd on outlines"


@pytest.mark.parametrize("up", fcn.UPSAMPLING)
def test_no_layer_is_fully_connected_so_the_same_weights_run_on_a_larger_scene(up):
    ev = _inspect(up)
    lf = ev.layer_facts
    assert lf.fully_connected_layers == 0 and (lf.side_in, lf.side_pool1, lf.side_pool2, lf.side_out) == (32, 16, 8, 32)
    assert lf.upsampling_learned == (up == fcn.UPSAMPLING[0]) and lf.decoder_weights == ev.decoder_parameters
    with torch.no_grad():
        net = fcn.shipped(fcn.ASSETS[up]).network()
        assert net(torch.zeros(1, 1, 64, 64)).shape == (1, 64, 64, lf.class_scores)


def test_map_facts_tell_a_found_class_from_a_rough_one():
    """Issue 16: "the map finds the triangle where it is" was said of 34 pixels above 0.5 against a true 14."""
    truth = np.zeros((4, 4), dtype=int)
    truth[:2, :2] = 3  # a 4-pixel "triangle"
    prob = np.zeros((4, 4))
    prob[:2, :2] = 0.9
    assert fcn_lab.map_facts("triangle", prob, truth).map_found
    prob[2:, :] = 0.9  # 8 more pixels above 0.5 outside it: overlap 4 / 12
    rough = fcn_lab.map_facts("triangle", prob, truth)
    assert (rough.map_above_half, rough.map_inside_true, rough.map_true_pixels) == (12, 4, 4)
    assert rough.map_overlap_iou == pytest.approx(1 / 3) and not rough.map_found
    shipped = _look(fcn_lab.busiest_scene()).map_facts
    assert shipped["disc"].map_found and not shipped["triangle"].map_found
