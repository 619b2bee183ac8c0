"""The picture helpers keep pixels sharp, map values as documented and refuse what they cannot draw."""
import numpy as np
import pytest

from core import images


def test_upscale_repeats_pixels_without_blending():
    x = np.array([[0, 255], [255, 0]], dtype=np.uint8)
    big = images.upscale(x, 8)
    assert big.shape == (8, 8)
    assert set(np.unique(big)) == {0, 255}
    assert (big[:4, :4] == 0).all() and (big[:4, 4:] == 255).all()


def test_gray_maps_the_range_and_a_flat_image_is_mid_grey():
    assert images.gray(np.array([[0.0, 0.5, 1.0]])).tolist() == [[0, 128, 255]]
    assert images.gray(np.array([[2.0, 9.0]]), lo=0, hi=4).tolist() == [[128, 255]]
    assert (images.gray(np.ones((3, 3))) == 128).all()


def test_signed_is_white_at_zero_blue_below_orange_above():
    rgb = images.signed(np.array([[-1.0, 0.0, 1.0]]))
    assert rgb[0, 1].tolist() == [255, 255, 255]
    assert rgb[0, 0].tolist() == [0, 114, 178]
    assert rgb[0, 2].tolist() == [230, 159, 0]


def test_classes_colours_each_id_and_refuses_unknown_ids():
    rgb = images.classes(np.array([[0, 1], [2, 3]]))
    assert rgb.shape == (2, 2, 3) and rgb[0, 0].tolist() == [0, 0, 0]
    assert len({tuple(rgb[i, j]) for i in range(2) for j in range(2)}) == 4
    with pytest.raises(ValueError, match="Class ids must be between 0 and"):
        images.classes(np.array([[99]]))


def test_montage_places_images_in_a_grid_with_padding():
    tiles = [np.full((2, 3), v, dtype=np.uint8) for v in (10, 20, 30)]
    out = images.montage(tiles, cols=2, pad=1)
    assert out.shape == (5, 7)
    assert out[0, 0] == 10 and out[0, 4] == 20 and out[3, 0] == 30 and out[3, 4] == 255  # empty slot = fill
    with pytest.raises(ValueError, match="must all have the same size"):
        images.montage([np.zeros((2, 2)), np.zeros((3, 3))], cols=2)
