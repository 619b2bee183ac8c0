"""Augmentation: geometric transforms keep mask, boxes and keypoints on the image; seeded grids repeat;
uploads checked."""
from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from core import augment as ag

COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255))
CENTRES = ((40, 40), (100, 70), (150, 30))  # (x, y) of three discs on a black 192 x 128 image
TEST_VALUE = {"horizontal flip": 1.0}  # always flip; the other transforms use their default strength


def _discs() -> ag.Scene:
    """Three pure-colour discs: the mask is made from the image's own pixels, a box and a keypoint per disc."""
    image = np.zeros((128, 192, 3), np.uint8)
    yy, xx = np.mgrid[:128, :192]
    boxes, keypoints = [], []
    for (cx, cy), colour in zip(CENTRES, COLOURS):
        image[(xx - cx) ** 2 + (yy - cy) ** 2 <= 15**2] = colour
        boxes.append((cx - 15.5, cy - 15.5, cx + 15.5, cy + 15.5))
        keypoints.append((cx + 0.5, cy + 0.5))
    return ag.Scene(image, (image.max(axis=2) > 0).astype(np.uint8), boxes, keypoints)


def _region(image: np.ndarray, k: int) -> np.ndarray:
    """Pixels of disc k after the transform: its own channel bright, the other two dark."""
    others = [c for c in range(3) if c != k]
    return (image[..., k] > 128) & (image[..., others].max(axis=2) < 128)


@pytest.mark.parametrize("name", ag.GEOMETRIC)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_geometric_transforms_keep_mask_boxes_and_keypoints_aligned(name, seed):
    s = _discs()
    pipeline = ag.build(((name, TEST_VALUE.get(name, ag.TRANSFORMS[name][2])),), s.image.shape[:2], seed)
    out = ag.apply(pipeline, s)
    moved_image = out["image"].max(axis=2) > 128
    mask = out["mask"].astype(bool)
    # Image (bilinear) and mask (nearest) may disagree only on the discs' rims, never inside or far outside them.
    rim = cv2.dilate(out["mask"], np.ones((5, 5), np.uint8)) & ~cv2.erode(out["mask"], np.ones((5, 5), np.uint8))
    assert not ((moved_image ^ mask) & ~rim.astype(bool)).any()
    assert (moved_image & mask).sum() >= 0.9 * (moved_image | mask).sum()
    if name in ("horizontal flip", "rotate", "affine", "random crop"):  # the image really changed
        assert (out["image"] != s.image).any()
    for (x0, y0, x1, y1), k in zip(np.asarray(out["bboxes"]).reshape(-1, 4), out["box_labels"]):
        ys, xs = np.nonzero(_region(out["image"], int(k)))
        inside = (xs >= x0 - 2) & (xs <= x1 + 2) & (ys >= y0 - 2) & (ys <= y1 + 2)
        assert inside.mean() >= 0.95, f"box {k} no longer surrounds its disc"
    for (x, y), k in zip(np.asarray(out["keypoints"]).reshape(-1, 2)[:, :2], out["keypoint_labels"]):
        r, c = int(y), int(x)
        near = _region(out["image"], int(k))[max(r - 2, 0) : r + 3, max(c - 2, 0) : c + 3]
        assert near.any(), f"keypoint {k} left its disc"


@pytest.mark.filterwarnings("ignore:Got processor for")  # no geometric transform: boxes/keypoints untouched
def test_colour_transforms_leave_the_targets_alone():
    s = _discs()
    names = [n for n, t in ag.TRANSFORMS.items() if t[0] == "colour"]
    out = ag.apply(ag.build(tuple((n, ag.TRANSFORMS[n][2]) for n in names), s.image.shape[:2], 0), s)
    assert (out["image"] != s.image).any()
    np.testing.assert_array_equal(out["mask"], s.mask)
    np.testing.assert_allclose(np.asarray(out["bboxes"]), np.asarray(s.boxes))
    np.testing.assert_allclose(np.asarray(out["keypoints"])[:, :2], np.asarray(s.keypoints))


MOVERS = ("horizontal flip", "rotate", "affine", "random crop")  # at the test strength they move every keypoint


@pytest.mark.filterwarnings("ignore:Got processor for")  # a colour transform alone: boxes/keypoints untouched
@pytest.mark.parametrize("name", list(ag.TRANSFORMS))
def test_every_transform_moves_keeps_or_removes_the_keypoints_and_boxes_as_its_kind_says(name):
    """Geometric: the keypoints and boxes move with the image (where to: the alignment test above); colour: they are
    left exactly as they were; coarse dropout: the mask and every survivor stay put, and the keypoints removed are
    exactly those inside a hole (Albumentations 2's `filter_keypoints_in_holes`), the boxes removed only those the
    holes cover completely."""
    s, kind = _discs(), ag.TRANSFORMS[name][0]
    strength = ag.TRANSFORMS[name][4] if kind == "dropout" else TEST_VALUE.get(name, ag.TRANSFORMS[name][2])
    removed_somewhere = changed = False
    for seed in range(12):
        out = ag.apply(ag.build(((name, strength),), s.image.shape[:2], seed), s)
        kps = np.asarray(out["keypoints"]).reshape(-1, 2)
        changed |= bool((out["image"] != s.image).any())  # pure 0 / 255 discs may saturate under one draw
        if kind == "colour":
            np.testing.assert_array_equal(out["mask"], s.mask)
            np.testing.assert_allclose(np.asarray(out["bboxes"]), np.asarray(s.boxes))
            np.testing.assert_allclose(kps, np.asarray(s.keypoints))
        elif kind == "geometric":
            if name in MOVERS:
                originals = np.asarray(s.keypoints)[np.asarray(out["keypoint_labels"], dtype=int)]
                assert not np.isclose(kps, originals).all(axis=1).any(), f"{name} left a keypoint where it was"
        else:
            holes = dict(out["applied_transforms"])["CoarseDropout"]["holes"]
            np.testing.assert_array_equal(out["mask"], s.mask)  # fill_mask=None: the mask is not cut
            inside = [any(x0 <= x < x1 and y0 <= y < y1 for x0, y0, x1, y1 in holes) for x, y in s.keypoints]
            assert list(out["keypoint_labels"]) == [k for k in range(len(s.keypoints)) if not inside[k]]
            np.testing.assert_allclose(kps, np.asarray(s.keypoints)[~np.array(inside)])
            covered = np.zeros(s.image.shape[:2], bool)
            for x0, y0, x1, y1 in holes:
                covered[y0:y1, x0:x1] = True
            whole = [covered[int(b[1]) : int(b[3]), int(b[0]) : int(b[2])].all() for b in s.boxes]
            assert list(out["box_labels"]) == [k for k in range(len(s.boxes)) if not whole[k]]
            removed_somewhere |= any(inside)
    assert changed, f"{name} never changed the image"
    if kind == "dropout":
        assert removed_somewhere, "no seed put a hole over a keypoint: the removal was never tested"


def test_coarse_dropout_trims_a_partly_covered_box_to_its_uncovered_pixels():
    """Section 4's text, checked against Albumentations 2.0.8 (`filter_bboxes_by_holes` then
    `resize_boxes_to_visible_area`): a box the holes cover completely is removed; one they cover in part stays,
    snapped to whole pixels and cut down to the rectangle around its uncovered pixels, so it shrinks only where a hole
    spans its whole width or height at an edge."""
    s = _discs()
    trimmed = kept_whole = 0
    for seed in range(40):
        out = ag.apply(ag.build((("coarse dropout", ag.TRANSFORMS["coarse dropout"][4]),), s.image.shape[:2], seed), s)
        covered = np.zeros(s.image.shape[:2], bool)
        for x0, y0, x1, y1 in dict(out["applied_transforms"])["CoarseDropout"]["holes"]:
            covered[y0:y1, x0:x1] = True
        for box, k in zip(np.asarray(out["bboxes"]).reshape(-1, 4), out["box_labels"]):
            x0, y0, x1, y1 = (int(v) for v in s.boxes[int(k)])
            ys, xs = np.nonzero(~covered[y0:y1, x0:x1])
            expected = np.array([x0 + xs.min(), y0 + ys.min(), x0 + xs.max() + 1, y0 + ys.max() + 1])
            np.testing.assert_allclose(box, expected, atol=1.0)  # x_max / y_max may lose a pixel to float rounding
            if (expected[2] - expected[0]) * (expected[3] - expected[1]) < 0.9 * (x1 - x0) * (y1 - y0):
                trimmed += 1
            elif covered[y0:y1, x0:x1].any():
                kept_whole += 1  # a hole inside it, yet not across it: the box keeps its size
    assert trimmed >= 3 and kept_whole >= 3, (trimmed, kept_whole)


@pytest.mark.filterwarnings("ignore:Got processor for")
def test_the_grid_tells_keypoints_out_of_the_frame_from_those_in_a_hole():
    def facts(*transforms: tuple[str, float]) -> ag.GridFacts:
        return ag.grid(ag.Explorer(transforms, seed=0, n_samples=16)).facts

    holes, crop, both = facts(("coarse dropout", 12)), facts(("random crop", 0.1)), facts(("rotate", 90),
                                                                                          ("coarse dropout", 12))
    colour = facts(("brightness/contrast", 0.3), ("hue", 20))
    elastic = facts(("elastic", 40), ("coarse dropout", 4))  # ElasticTransform drops an edge keypoint by itself
    assert holes.keypoints_left_frame == 0 and holes.keypoints_in_holes >= 1 and holes.dropout_chosen
    assert crop.keypoints_in_holes == 0 and crop.keypoints_left_frame >= 5 and crop.geometric_chosen
    assert both.keypoints_in_holes >= 1 and both.keypoints_left_frame >= 1
    assert colour.keypoints_kept == colour.keypoints_total and colour.boxes_kept == colour.boxes_total
    assert not colour.geometric_chosen and not colour.dropout_chosen
    assert elastic.keypoints_left_frame >= 1
    for f in (holes, crop, both, colour, elastic):
        assert f.keypoints_kept + f.keypoints_left_frame + f.keypoints_in_holes == f.keypoints_total == 3 * 16
        assert f.n_samples == 16 and f.seed == 0 and f.boxes_kept <= f.boxes_total == 3 * 16


def test_same_seed_same_grid_other_seed_other_grid():
    every = tuple((n, t[2]) for n, t in ag.TRANSFORMS.items())
    a, b = ag.grid(ag.Explorer(every, seed=3, n_samples=4)), ag.grid(ag.Explorer(every, seed=3, n_samples=4))
    c = ag.grid(ag.Explorer(every, seed=4, n_samples=4))
    assert all(np.array_equal(x, y) for x, y in zip(a.samples, b.samples))
    assert a.params.equals(b.params)
    assert not all(np.array_equal(x, y) for x, y in zip(a.samples, c.samples))
    assert "seed=3" in a.code and "A.Rotate(limit=30, p=1.0)" in a.code


def test_the_bundled_scene_has_a_mask_boxes_and_keypoints_on_it():
    s = ag.scene()
    assert max(s.image.shape[:2]) == ag.SIDE and 0.05 < s.mask.mean() < 0.95
    assert len(s.boxes) == len(s.keypoints) >= 1
    for x, y in s.keypoints:
        assert s.mask[int(y), int(x)] == 1


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_good_upload_is_read_and_augmented():
    content = _png((300, 200))
    assert ag.read_image("me.png", content).shape == (200, 300, 3)
    result = ag.grid(ag.Explorer(n_samples=2, image_name="me.png", image=content))
    assert len(result.samples) == 2


@pytest.mark.parametrize("name, content, problem", [
    ("notes.txt", b"hello", "not a PNG or JPEG"),
    ("empty.png", b"", "empty"),
    ("broken.png", _png((50, 50))[:60], "could not be decoded"),
    ("fake.jpg", b"this is not a jpeg at all", "could not be decoded"),
    ("huge.png", b"x" * (ag.MAX_BYTES + 1), "the limit is 5 MB"),
    ("wide.png", _png((5000, 4000), "1"), "the limit is 4000 x 4000"),
])
def test_bad_uploads_raise_a_value_error_that_names_the_problem(name, content, problem):
    with pytest.raises(ValueError, match=problem):
        ag.read_image(name, content)


@pytest.mark.parametrize("kwargs, problem", [({"transforms": (("twirl", 1.0),)}, "Unknown transform"),
                                             ({"transforms": (("rotate", 500),)}, "between 5 and 180"),
                                             ({"n_samples": 0}, "between 1 and 64"), ({"seed": -1}, "seed must")])
def test_explorer_config_refuses_bad_values(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        ag.Explorer(**kwargs)


def test_digit_copies_are_moved_versions_and_no_move_is_the_identity():
    x = torch.rand(5, 64)
    same = ag.augment_digits(x, copies=2, max_shift=0.0, max_degrees=0.0)
    assert same.shape == (10, 64)
    torch.testing.assert_close(same, x.repeat(2, 1), atol=1e-5, rtol=0)
    moved = ag.augment_digits(x, copies=2, seed=1)
    assert not torch.allclose(moved, x.repeat(2, 1), atol=1e-3)
    torch.testing.assert_close(moved, ag.augment_digits(x, copies=2, seed=1))


@pytest.mark.parametrize("end", [3, 4, 2])  # each transform's minimum, maximum and default strength
def test_the_code_shown_builds_exactly_the_pipeline_that_ran(end):
    # The page prints `code(...)`; `build` calls the classes directly (nothing is evaluated in the app). Running
    # the printed source here must give the same pipeline, argument for argument.
    import albumentations as A

    chosen = tuple((n, t[end]) for n, t in ag.TRANSFORMS.items())
    namespace: dict = {}
    exec(ag.code(chosen, (128, 192), 7).split("out = ")[0], {}, namespace)  # noqa: S102 (our own generated source)
    assert A.to_dict(namespace["pipeline"]) == A.to_dict(ag.build(chosen, (128, 192), 7))


def _encoded(img, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **options)
    return out.getvalue()


def test_a_16_bit_image_is_scaled_from_its_range_not_clipped_white():
    # Read as they were, 16-bit pixels were clipped at 255: a grey ramp came out white.
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (32, 1))
    got = ag.read_image("ramp.png", _encoded(Image.fromarray(ramp), "PNG"))
    assert got.shape == (32, 64, 3) and got.dtype == np.uint8
    assert got[0, 0, 0] == 0 and got[0, -1, 0] == 255 and 120 <= got.mean() <= 135


def test_a_phone_photo_turns_by_its_exif_orientation_and_is_kept_small():
    wide = Image.new("RGB", (1600, 1200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    got = ag.read_image("photo.jpg", _encoded(wide, "JPEG", exif=exif))
    assert got.shape[0] > got.shape[1]  # shown upright: taller than wide, as the camera meant
    assert max(got.shape[:2]) <= ag.READ_SIDE
