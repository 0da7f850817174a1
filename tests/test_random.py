"""Random sources: own generators, the book's stream, and the dropout mask."""

import numpy as np
import pytest

from squareone import _random


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.37, 1e-3])
@pytest.mark.parametrize("shape", [(3001,), (250, 401)])
def test_keep_mask_keeps_the_given_fraction(keep, shape):
    mask = _random.keep_mask(np.random.default_rng(0), keep, shape, np.float32)
    assert mask.shape == shape and mask.dtype == np.float32
    assert set(np.unique(mask)) <= {0.0, 1.0}
    n = mask.size
    # Binomial(n, keep): the kept count lies within 5 standard deviations.
    assert abs(mask.sum() - n * keep) < 5 * np.sqrt(n * keep * (1 - keep)) + 1


def test_keep_mask_values_are_independent_and_reproducible():
    draw = _random.keep_mask
    first = draw(np.random.default_rng(7), 0.5, (400, 50), np.float64)
    np.testing.assert_array_equal(first, draw(np.random.default_rng(7), 0.5, (400, 50),
                                              np.float64))
    rng = np.random.default_rng(7)
    a, b = draw(rng, 0.5, (400, 50), np.float64), draw(rng, 0.5, (400, 50), np.float64)
    assert 0.45 < np.mean(a != b) < 0.55  # successive masks are fresh draws
    # Neighbouring values (two come from each 64-bit draw) are not correlated.
    flat = a.ravel()
    assert abs(np.corrcoef(flat[:-1:2], flat[1::2])[0, 1]) < 0.05


def test_keep_mask_with_keep_probability_one_keeps_everything():
    assert _random.keep_mask(np.random.default_rng(0), 1.0, (5, 3), np.float32).all()


def test_book_stream_masks_use_binomial_like_the_book():
    mask = _random.keep_mask(np.random.RandomState(0), 0.9, (4, 5), np.float32)
    expected = np.random.RandomState(0).binomial(1, 0.9, size=(4, 5)).astype(np.float32)
    np.testing.assert_array_equal(mask, expected)
