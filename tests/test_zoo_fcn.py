"""The FCN of the zoo: scenes as drawn, IoU as defined, and shipped weights that segment held-out scenes."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from core.zoo import fcn, scenes, shapes, weights


def test_scenes_are_the_same_for_the_same_seed_and_differ_for_another():
    a, b, c = scenes.make(20, seed=5), scenes.make(20, seed=5), scenes.make(20, seed=6)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.masks, b.masks)
    assert not np.array_equal(a.masks, c.masks)
    assert a.images.shape == (20, 1, 32, 32) and a.masks.dtype == np.int64
    assert 0 <= a.images.min() and a.images.max() <= 1


def test_every_labelled_pixel_lies_inside_a_drawn_shape_of_its_class():
    s = scenes.make(30, seed=3)
    for mask, drawn in zip(s.masks, s.shapes):
        for c in range(1, len(scenes.CLASSES)):
            inside = np.zeros_like(mask, dtype=bool)
            for cls, cx, cy, r in drawn:
                if cls == c:
                    inside |= scenes.shape_mask(scenes.CLASSES[cls], cx, cy, r)
            assert not ((mask == c) & ~inside).any()
        assert (mask > 0).sum() > 0


def test_shapes_are_bright_against_their_background():
    s = scenes.make(50, seed=4)
    shape_px, background = s.images[:, 0][s.masks > 0], s.images[:, 0][s.masks == 0]
    assert shape_px.mean() > background.mean() + 0.3


def test_iou_on_hand_made_masks():
    truth = np.array([[0, 1, 1], [0, 1, 1], [2, 2, 0]])
    pred = np.array([[0, 1, 0], [0, 1, 1], [2, 0, 0]])
    got = scenes.iou(pred, truth)
    assert got[1] == pytest.approx(3 / 4)  # 3 shared pixels, 4 in either
    assert got[2] == pytest.approx(1 / 2)
    assert got[0] == pytest.approx(3 / 5)
    assert np.isnan(got[3])  # the triangle is in neither


def test_the_shipped_fcn_segments_held_out_scenes_with_mean_iou_above_0_8():
    ev = fcn.evaluate(fcn.Source())
    assert ev.mean_iou >= 0.8
    assert (ev.iou["IoU"].iloc[1:] >= 0.7).all()
    _, meta = weights.load(fcn.ASSET)
    assert ev.mean_iou == pytest.approx(meta["val_mean_iou"], abs=1e-3)  # the header's score is what it measures


def test_the_diagram_is_a_real_forward_pass_that_keeps_the_image_size():
    for up in fcn.UPSAMPLING:
        net = fcn.SceneFCN(fcn.Recipe(upsampling=up))
        table = shapes.trace(net, torch.zeros(2, 1, 32, 32))
        assert table["output shape"].iloc[-1] == (len(scenes.CLASSES), 32, 32)
        assert min(s[-1] for s in table["output shape"] if len(s) == 3) == 8  # two poolings: 32 -> 8
        assert not (table["kind"] == "Linear").any()  # fully convolutional
        assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 32, 32, len(scenes.CLASSES))


def test_quick_weight_making_gives_loadable_weights_of_the_shipped_shapes(tmp_path):
    model, meta = fcn.make(quick=True)
    path = weights.save("fcn_quick", model, meta, tmp_path)
    state, _ = weights.read(path)
    shipped, _ = weights.load(fcn.ASSET)
    assert {k: tuple(v.shape) for k, v in state.items()} == {k: tuple(v.shape) for k, v in shipped.items()}
    assert 0 <= meta["val_mean_iou"] <= 1


def test_a_students_run_is_remembered_and_the_views_use_it():
    recipe = replace(fcn.SHIPPED_RECIPE, epochs=1, n_train=300, upsampling=fcn.UPSAMPLING[1])
    seen = []
    run = fcn.train(recipe, on_progress=lambda f, h: seen.append(f))
    assert seen[-1] == 1.0 and not run.shipped
    assert weights.recall((fcn.ASSET, recipe)) is not None
    ev = fcn.evaluate(fcn.Source(recipe))
    assert "Upsample" in set(ev.layers["kind"])
    assert ev.mean_iou < fcn.evaluate(fcn.Source()).mean_iou  # one epoch is far from the shipped twenty


@pytest.mark.parametrize("bad", [dict(upsampling="magic"), dict(epochs=0), dict(epochs=999), dict(n_train=5),
                                 dict(width=7), dict(lr=1.0)])
def test_impossible_recipes_are_refused_with_a_sentence(bad):
    with pytest.raises(ValueError):
        fcn.Recipe(**bad)
    with pytest.raises(ValueError):
        fcn.Look(scene=fcn.N_VAL)


def test_the_default_scene_shows_every_class_and_the_views_score_it():
    i = fcn.busiest_scene()
    assert set(np.unique(fcn.dataset().y_val[i].numpy())) == set(range(len(scenes.CLASSES)))
    seen = fcn.look(fcn.Look(scene=i, klass="disc"))
    assert len(seen.pictures) == 4 and seen.pictures[0].shape[:2] == seen.pictures[1].shape[:2]
    assert seen.probability_range[1] > 0.9  # a disc is there, and the network is sure of some of its pixels
    assert not seen.iou["IoU"].isna().any()
