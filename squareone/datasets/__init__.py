"""Datasets: the book's synthetic data, real image data and preprocessing helpers."""

from squareone.datasets.synthetic import sine_data, spiral_data, vertical_data

__all__ = ["spiral_data", "vertical_data", "sine_data"]
