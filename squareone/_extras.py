"""Optional extras: import a package that only some features need, or say how to install it.

``import squareone`` needs only NumPy, safetensors, tqdm and Pillow. Everything else (plots,
scikit-learn, ONNX, MPI, the docs tools, the playground's web stack) is an extra, imported
where it is used through :func:`require`, so a missing one names the command that installs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise an ImportError that names ``pip install squareone[extra]``.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"matplotlib.figure"``.
    extra : str
        The squareone extra that installs it, e.g. ``"plot"``.
    feature : str
        What needs it, for the message, e.g. ``"squareone.plots"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.split(".")[0]
        raise ImportError(f"{feature} needs {top}, which is not installed: "
                          f"pip install squareone[{extra}]") from error
