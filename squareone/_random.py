"""Where squareone's random numbers come from.

Two modes, chosen by the user:

* **Own generators (default).** Every random consumer (a dataset, a layer's weight
  initialisation, a dropout layer) gets its own ``numpy.random.Generator`` built from the
  ``seed`` it was given, so results never depend on call order.
* **The book's shared stream.** After :func:`squareone.nnfs.init`, every consumer that was not
  given an explicit seed draws, in call order, from one legacy ``numpy.random.RandomState``,
  with normal samples rounded to float32 exactly as ``nnfs.init()`` does. A chapter of the book
  rewritten with squareone then starts from the very same numbers.

NumPy's global state is never touched (no monkey-patching).
"""

from __future__ import annotations

import numpy as np

_book_stream: np.random.RandomState | None = None
#: The weight initialisation of a ``Dense`` created without ``weight_init``.
_default_weight_init: str | float = "nnfs"


def use_book_stream(seed: int | None, weight_init: str | float = "nnfs") -> None:
    """Switch to the book's shared stream seeded with ``seed`` (``None`` switches it off).

    ``weight_init`` becomes the default of ``Dense`` while the stream is on (the book's
    Chapter 17 starts from ``0.1 * randn``).
    """
    global _book_stream, _default_weight_init
    _book_stream = None if seed is None else np.random.RandomState(seed)
    _default_weight_init = "nnfs" if seed is None else weight_init


def default_weight_init() -> str | float:
    """Return the weight initialisation of a ``Dense`` created without ``weight_init``."""
    return _default_weight_init


def book_stream_active() -> bool:
    """Return True while :func:`squareone.nnfs.init` is in effect."""
    return _book_stream is not None


def random_source(seed: int | None = None) -> np.random.Generator | np.random.RandomState:
    """Return the generator a consumer created now should draw from.

    An explicit ``seed`` always wins; otherwise the book's shared stream when it is active,
    else a fresh generator seeded from the operating system.
    """
    if seed is None and _book_stream is not None:
        return _book_stream
    return np.random.default_rng(seed)


def standard_normal(rng, shape) -> np.ndarray:
    """Draw N(0, 1) samples; on the book's stream, rounded to float32 as ``nnfs`` does."""
    samples = rng.standard_normal(shape)
    if isinstance(rng, np.random.RandomState):
        samples = samples.astype(np.float32)
    return samples


def keep_mask(rng, keep_probability: float, shape, dtype) -> np.ndarray:
    """Draw a 0/1 mask with ``P(1) = keep_probability``.

    The book's stream uses ``binomial`` (to reproduce its numbers). A Generator compares
    32 random bits per value with ``keep_probability * 2**32``: the same distribution (to
    within 2**-32) twice as fast as comparing uniform floats, because each 64-bit draw of the
    generator gives two values.
    """
    if isinstance(rng, np.random.RandomState):
        return rng.binomial(1, keep_probability, size=shape).astype(dtype)
    threshold = int(keep_probability * 2**32)
    if threshold >= 2**32:
        return np.ones(shape, dtype=dtype)
    size = int(np.prod(shape))
    bits = rng.bit_generator.random_raw((size + 1) // 2).view(np.uint32)[:size]
    return (bits < np.uint32(threshold)).astype(dtype).reshape(shape)
