"""Tests for squareone.datasets.images (reading your own photos, book style)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from squareone.datasets.images import load_image, load_images


def _garment(height: int = 28, width: int = 28) -> np.ndarray:
    """Light "ink" in the middle of a black background, as Fashion-MNIST."""
    image = np.zeros((height, width), dtype=np.uint8)
    image[height // 4 : 3 * height // 4, width // 3 : 2 * width // 3] = 230
    return image


def _save(array: np.ndarray, path: Path, mode: str | None = None) -> Path:
    image = Image.fromarray(array)
    if mode is not None:
        image = image.convert(mode)
    image.save(path)
    return path


def test_dark_background_is_kept(tmp_path: Path) -> None:
    path = _save(_garment(280, 280), tmp_path / "dark.png")
    image = load_image(path)
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert image[0, 0] == 0 and image[-1, -1] == 0  # background stays black
    assert image[14, 14] == 230  # ink stays light


def test_light_background_is_inverted(tmp_path: Path) -> None:
    # A photo as the book's: dark trousers on a white sheet, large, in colour.
    photo = 255 - _garment(280, 280)
    path = _save(photo, tmp_path / "light.png", mode="RGB")
    image = load_image(path)
    assert image.shape == (28, 28)
    assert image[0, 0] == 0 and image[-1, -1] == 0  # white background became black
    assert image[14, 14] == 230  # dark cloth became light ink


def test_downscaled_photo_matches_the_small_original(tmp_path: Path) -> None:
    # A 28x28 image blown up 10x (nearest) as dark-on-light must come back close
    # to the original after load_image's grayscale + resize + invert.
    rng = np.random.default_rng(0)
    small = np.kron(rng.integers(0, 256, (7, 7)), np.ones((4, 4))).astype(np.uint8)
    small[[0, -1], :] = 0
    small[:, [0, -1]] = 0
    big = np.kron(255 - small, np.ones((10, 10))).astype(np.uint8)
    image = load_image(_save(big, tmp_path / "big.jpg.png"))
    error = np.abs(image.astype(int) - small.astype(int))
    assert error.mean() < 8
    assert np.corrcoef(image.ravel(), small.ravel())[0, 1] > 0.97


def test_invert_true_and_false_override_auto(tmp_path: Path) -> None:
    dark = _garment()
    path = _save(dark, tmp_path / "dark.png")
    assert np.array_equal(load_image(path, invert=False), dark)
    assert np.array_equal(load_image(path, invert=True), 255 - dark)
    light_path = _save(255 - dark, tmp_path / "light.png")
    assert np.array_equal(load_image(light_path, invert=False), 255 - dark)


def test_exact_pixels_with_size_none(tmp_path: Path) -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (13, 17), dtype=np.uint8)
    image = load_image(_save(pixels, tmp_path / "odd.png"), size=None, invert=False)
    assert np.array_equal(image, pixels)  # PNG is lossless, nothing else touched it
    assert image.flags.writeable


def test_size_is_height_width(tmp_path: Path) -> None:
    path = _save(_garment(100, 60), tmp_path / "tall.png")
    assert load_image(path, size=(20, 10)).shape == (20, 10)


def test_colour_is_converted_with_luma_weights(tmp_path: Path) -> None:
    red = np.zeros((30, 30, 3), dtype=np.uint8)
    red[..., 0] = 255
    image = load_image(_save(red, tmp_path / "red.png"), invert=False)
    assert np.all(image == 76)  # ITU-R 601-2: 0.299 * 255


def test_jpeg_is_read(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.fromarray(255 - _garment(200, 200)).convert("RGB").save(path, quality=95)
    image = load_image(path)
    assert image[0, 0] < 10 and image[14, 14] > 200  # inverted, despite JPEG noise


def test_transparent_background_counts_as_white(tmp_path: Path) -> None:
    # Black strokes on a transparent canvas, as drawing apps save them.
    rgba = np.zeros((56, 56, 4), dtype=np.uint8)
    rgba[20:36, 10:46, 3] = 255  # opaque black bar; everything else alpha 0
    image = load_image(_save(rgba, tmp_path / "drawing.png"))
    assert image[0, 0] == 0  # transparent -> white -> inverted to black
    assert image[14, 14] == 255  # the black bar became full ink


def test_exif_rotation_is_applied(tmp_path: Path) -> None:
    pixels = np.zeros((10, 20), dtype=np.uint8)
    pixels[:, :5] = 200  # a light band on the left
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: display rotated 90 degrees clockwise
    Image.fromarray(pixels).save(path, exif=exif, quality=100)
    image = load_image(path, size=None, invert=False)
    assert image.shape == (20, 10)  # shown upright: taller than wide
    assert image[:5].mean() > 150 and image[-5:].mean() < 50  # the band is now on top


def test_load_images_stacks_in_order(tmp_path: Path) -> None:
    paths = []
    for value in (50, 100, 150):
        array = np.zeros((40, 40), dtype=np.uint8)
        array[10:30, 10:30] = value
        paths.append(_save(array, tmp_path / f"{value}.png"))
    images = load_images(paths)
    assert images.shape == (3, 28, 28) and images.dtype == np.uint8
    assert list(images[:, 14, 14]) == [50, 100, 150]


def test_load_images_of_nothing_is_empty() -> None:
    images = load_images([])
    assert images.shape == (0, 28, 28) and images.dtype == np.uint8


def test_load_images_refuses_a_single_path(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="use load_image"):
        load_images(str(tmp_path / "one.png"))


def test_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.png"
    with pytest.raises(FileNotFoundError, match="nope.png"):
        load_image(missing)


def test_non_image_is_a_value_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    with pytest.raises(ValueError, match=r"notes\.png is not an image"):
        load_image(path)


def test_truncated_png_is_a_value_error(tmp_path: Path) -> None:
    noise = np.random.default_rng(2).integers(0, 256, (64, 64), dtype=np.uint8)
    path = _save(noise, tmp_path / "cut.png")
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ValueError, match="cut.png"):
        load_image(path)


@pytest.mark.parametrize("size", [(28,), (0, 28), (28.0, 28), "28x28", (True, 2)])
def test_bad_size_is_rejected(tmp_path: Path, size: object) -> None:
    path = _save(_garment(), tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"size must be \(height, width\).*received"):
        load_image(path, size=size)  # type: ignore[arg-type]


def test_bad_invert_is_rejected(tmp_path: Path) -> None:
    path = _save(_garment(), tmp_path / "x.png")
    with pytest.raises(ValueError, match='invert must be True, False or "auto", received .yes.'):
        load_image(path, invert="yes")  # type: ignore[arg-type]
