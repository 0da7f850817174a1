"""Read your own pictures in the shape a Fashion-MNIST model expects.

The book ends by classifying a photo of a T-shirt and one of trousers. Those
photos are large, in colour and dark-on-light, whereas Fashion-MNIST images are
28x28, grayscale and light-on-dark (0 = black background, 255 = full ink). So
a photo has to be converted to grayscale, shrunk to 28x28 and, when its
background is light, inverted. :func:`load_image` does exactly that, and
:func:`load_images` does it for many files at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from squareone._files import open_regular_file

__all__ = ["load_image", "load_images"]

PathLike = str | os.PathLike[str]
Invert = bool | Literal["auto"]

# A background whose mean gray level is above this counts as light. 127 is the
# middle of 0..255, so "light" simply means "closer to white than to black".
_LIGHT_BACKGROUND = 127


def load_image(
    path: PathLike,
    *,
    size: tuple[int, int] | None = (28, 28),
    invert: Invert = "auto",
) -> np.ndarray:
    """Read one image file as a uint8 grayscale array, Fashion-MNIST style.

    Every mode Pillow reads is scaled to 0..255: 1-bit and 8-bit images as they
    are, colour by luminance, transparent areas as white, 16-bit grayscale
    from 0..65535, 32-bit integers as 16-bit (or their own range when wider),
    and floats from 0..1 (or their own range when wider).

    Parameters
    ----------
    path : str or os.PathLike
        A PNG, JPEG or any other image file Pillow can read.
    size : tuple of (int, int) or None, default (28, 28)
        ``(height, width)`` of the result, i.e. the shape of the returned
        array. The image is resized to it without keeping the aspect ratio,
        as the book does. ``None`` keeps the image's own size.
    invert : bool or "auto", default "auto"
        ``True`` turns white into black and black into white, ``False``
        leaves the pixels alone, and ``"auto"`` inverts only when the
        image's border (the outermost rows and columns) is light on average,
        i.e. for dark ink on a light background, so that the result has the
        light-on-black look of Fashion-MNIST.

    Returns
    -------
    numpy.ndarray
        uint8 array of shape ``size`` (or the image's own ``(height, width)``),
        0 = black, 255 = white.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    PermissionError
        If `path` may not be read.
    ValueError
        If `path` is not a file, not an image Pillow can read (or one too
        large to decode safely: a "decompression bomb"), or `size` / `invert`
        are invalid.
    """
    _check_size(size)
    _check_invert(invert)
    pixels = _read_grayscale(Path(path))
    if invert == "auto":
        invert = _has_light_background(pixels)
    if size is not None and pixels.shape != tuple(size):
        pixels = _resize(pixels, size)
    return 255 - pixels if invert else pixels


def load_images(
    paths: Iterable[PathLike],
    *,
    size: tuple[int, int] = (28, 28),
    invert: Invert = "auto",
) -> np.ndarray:
    """Read several image files into one uint8 array of shape (N, height, width).

    Each file goes through :func:`load_image` with the same `size` and
    `invert`; with ``invert="auto"`` the decision is made per image.

    Parameters
    ----------
    paths : iterable of str or os.PathLike
        The image files, in the order wanted in the result.
    size : tuple of (int, int), default (28, 28)
        ``(height, width)`` of every image in the result.
    invert : bool or "auto", default "auto"
        See :func:`load_image`.

    Returns
    -------
    numpy.ndarray
        uint8 array of shape ``(N, *size)``; ``(0, *size)`` for no paths.

    Raises
    ------
    TypeError
        If `paths` is a single path rather than a collection of paths.
    FileNotFoundError, ValueError
        As :func:`load_image`.
    """
    # A lone string is iterable too, and would be read character by character.
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError(
            f"paths must be a list of image paths, received the single path {paths!r}; "
            "use load_image() for one file"
        )
    if size is None:
        raise ValueError("size must be (height, width) so the images can be stacked, received None")
    _check_size(size)
    images = [load_image(p, size=size, invert=invert) for p in paths]
    if not images:
        return np.empty((0, *size), dtype=np.uint8)
    return np.stack(images)


def _read_grayscale(path: Path) -> np.ndarray:
    """Decode `path` into a uint8 (height, width) array with clear errors."""
    # A regular file only, opened without blocking: a FIFO or a device would hang Pillow. It is
    # opened here, outside the decoding below, so that a file we may not read is reported as
    # unreadable (PermissionError, naming it), not as an image Pillow cannot decode.
    with open_regular_file(path, "image file") as file:
        try:
            with Image.open(file) as image:
                # Phone photos are often stored sideways with an EXIF "rotate me" tag.
                image = ImageOps.exif_transpose(image)
                return _to_grayscale(image)
        except Image.DecompressionBombError as exc:
            raise ValueError(f"{path} is too large to decode safely ({exc})") from None
        except UnidentifiedImageError as exc:
            raise ValueError(f"{path} is not an image file Pillow can read") from exc
        except OSError as exc:  # e.g. a PNG cut short: Pillow raises OSError while decoding
            raise ValueError(f"{path} could not be decoded as an image: {exc}") from exc


#: Modes whose pixels are not 8-bit: 16-bit grayscale, 32-bit integers and 32-bit floats.
_HIGH_DEPTH_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")


def _to_grayscale(image: Image.Image) -> np.ndarray:
    """Convert to 8-bit grayscale (0 black, 255 white), putting transparent areas on white."""
    if image.mode in _HIGH_DEPTH_MODES:
        # Pillow's convert("L") clips these to 0..255, so a 16-bit photo came out nearly
        # all white; they are scaled instead.
        return _scale_to_uint8(np.asarray(image), image.mode)
    if image.mode == "LAB":  # Pillow converts LAB to nothing else; its L is the lightness
        image = image.getchannel("L")
    if image.mode == "La":  # premultiplied alpha: Pillow converts it only to LA
        image = image.convert("LA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in image.info:
        # Converting RGBA straight to "L" drops alpha and leaves transparent
        # pixels with whatever (usually black) colour they store. Showing them
        # on white, as a viewer does, keeps a drawing and its background apart.
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA"))
    # np.array copies: np.asarray would give a read-only view of Pillow's buffer.
    return np.array(image.convert("L"), dtype=np.uint8)


def _scale_to_uint8(pixels: np.ndarray, mode: str) -> np.ndarray:
    """Scale high-depth gray levels linearly to 0..255.

    16-bit images span 0..65535. Mode ``I`` (32-bit integers, as some files and older
    Pillows give 16-bit PNGs) is taken as 16-bit when its values fit, and ``F`` (floats) as
    0..1 when they fit; otherwise their own minimum and maximum become black and white.
    """
    values = np.nan_to_num(pixels.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = 0.0, 1.0 if mode == "F" else 65535.0
    if mode in ("I", "F") and (values.min() < low or values.max() > high):
        low, high = float(values.min()), float(values.max())
    scale = 255.0 / (high - low) if high > low else 0.0
    return np.rint((values - low) * scale).clip(0, 255).astype(np.uint8)


def _has_light_background(pixels: np.ndarray) -> bool:
    """Whether the border of a grayscale image is, on average, light."""
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return float(border.mean()) > _LIGHT_BACKGROUND


def _resize(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    # LANCZOS averages over the pixels being merged, so thin lines in a big
    # photo fade to gray instead of vanishing, as they could with NEAREST.
    resized = Image.fromarray(pixels).resize((width, height), Image.Resampling.LANCZOS)
    return np.array(resized, dtype=np.uint8)


def _check_size(size: object) -> None:
    if size is None:
        return
    valid = (
        isinstance(size, (tuple, list))
        and len(size) == 2
        and all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in size)
        and all(n > 0 for n in size)
    )
    if not valid:
        raise ValueError(
            f"size must be (height, width) with two positive integers or None, received {size!r}"
        )


def _check_invert(invert: object) -> None:
    if not (invert is True or invert is False or invert == "auto"):
        raise ValueError(f'invert must be True, False or "auto", received {invert!r}')
