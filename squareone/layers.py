"""Layers: the fully connected ``Dense`` layer and ``Dropout``.

Every layer has ``forward(inputs, training=False)``, which returns its output and keeps it as
``.output``, and ``backward(dvalues)``, which returns the gradient of the loss with respect to
its inputs and keeps it as ``.dinputs``. Trainable layers also list ``parameters()``.
"""

from __future__ import annotations

import functools

import numpy as np

from squareone import _random
from squareone._validation import as_float_dtype, check_number, check_positive_int

__all__ = ["Layer", "Dense", "Dropout", "WEIGHT_INITS"]

WEIGHT_INITS = ("nnfs", "he", "glorot", "uniform")


def _ones_row(like: np.ndarray) -> np.ndarray:
    """A (1, len(like)) row of ones in the dtype and array module of ``like``."""
    return np.asarray(_numpy_ones_row(len(like), like.dtype), like=like)


def _blas_column_sums(dvalues: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Write the column sums of ``dvalues`` into ``out`` (shape (1, n_columns)).

    As a product with a row of ones: BLAS does it several times faster than
    ``np.sum(dvalues, axis=0)`` for these shapes.
    """
    return np.dot(_ones_row(dvalues), dvalues, out=out)


def _book_product(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.dot`` as ``nnfs.init()`` replaces it: computed in float64, rounded to a's dtype.

    The book's printed numbers come from this product (float32 BLAS sums in an order that
    depends on the machine); squareone uses it only in book mode.
    """
    product = np.dot(a.astype(np.float64), b.astype(np.float64))
    if out is None:
        return product.astype(a.dtype)
    np.copyto(out, product, casting="same_kind")
    return out


def _book_column_sums(dvalues: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The book's bias gradient, ``np.sum(dvalues, axis=0, keepdims=True)``, into ``out``.

    Its terms nearly cancel, so the summation order shows in the printed digits.
    """
    np.sum(dvalues, axis=0, keepdims=True, out=out)
    return out


@functools.lru_cache(maxsize=16)
def _numpy_ones_row(length: int, dtype: np.dtype) -> np.ndarray:
    """A read-only (1, length) row of ones, kept for the few batch sizes a run uses."""
    ones = np.ones((1, length), dtype=dtype)
    ones.flags.writeable = False
    return ones


def check_weight_init(weight_init: str | float) -> str | float:
    """Return ``weight_init`` if it names an initialisation or is a positive scale, else raise."""
    if isinstance(weight_init, str):
        if weight_init not in WEIGHT_INITS:
            raise ValueError(f"weight_init must be one of {WEIGHT_INITS} or a positive float, "
                             f"got {weight_init!r}")
        return weight_init
    return check_number(weight_init, "weight_init", low=0.0, low_inclusive=False)


class Layer:
    """Base class: a layer transforms ``inputs`` forward and gradients backward.

    Subclasses set ``output`` in :meth:`forward` and ``dinputs`` in :meth:`backward`.
    """

    dtype: np.dtype | None = None
    #: Names of the trainable arrays; the gradient of ``name`` is kept as ``"d" + name``.
    parameter_names: tuple[str, ...] = ()

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Return the ``(parameter, gradient)`` pairs an optimizer updates."""
        return [(getattr(self, name), getattr(self, "d" + name)) for name in self.parameter_names]

    def regularization_loss(self) -> float:
        """Return this layer's L1/L2 penalty (zero for layers without parameters)."""
        return 0.0

    def config(self) -> dict:
        """Return the constructor arguments that rebuild this layer (used by ``save``)."""
        return {}

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({arguments})"


class Dense(Layer):
    r"""A fully connected layer: :math:`output = inputs \cdot W + b`, optionally activated.

    ``Dense(n_inputs, n_neurons)`` is the book's layer. ``Dense(n_neurons)`` leaves the input
    size open: the layer creates its weights when it learns it (see :meth:`build`), from the
    previous layer in a :class:`~squareone.Model`, or from the first data for a first layer.

    Parameters
    ----------
    *sizes : int
        ``n_inputs, n_neurons`` (the book's order) or ``n_neurons`` alone.
    n_inputs : int, optional
        Number of input features (the previous layer's neurons). Without it, inferred.
    n_neurons : int
        Number of neurons, i.e. output features.
    activation : {"relu", "sigmoid", "tanh", "softmax", "linear", "step"} or Activation, optional
        Apply this activation to the outputs, as Keras does: the layer then behaves exactly
        like ``Dense`` followed by that activation layer (the same numbers and gradients; the
        activation object does the work and keeps its own ``inputs``, ``output`` and
        ``dinputs``).
    weight_bounds : (float, float), optional
        Draw the initial weights uniformly in ``[low, high]`` (the Keras-style projects this
        signature comes from use ``(-1, 1)``); replaces ``weight_init``.
    weight_regularizer_l1, weight_regularizer_l2 : float, default 0
        :math:`\lambda` of the L1 penalty :math:`\lambda\sum|w|` and of the L2 penalty
        :math:`\lambda\sum w^2` on the weights.
    bias_regularizer_l1, bias_regularizer_l2 : float, default 0
        The same penalties on the biases.
    weight_init : {"nnfs", "he", "glorot", "uniform"} or float, optional
        ``"nnfs"`` (the default without ``weight_bounds``) is the book's ``0.01 * randn``; a
        float ``s`` gives ``s * randn`` (the book's Chapter 17 uses 0.1 for regression, which
        ``squareone.nnfs.init(weight_init=0.1)`` makes the default); ``"he"`` is
        ``randn * sqrt(2 / n_inputs)`` (for ReLU);
        ``"glorot"`` is uniform in :math:`\pm\sqrt{6 / (n_{in} + n_{out})}`; ``"uniform"`` is
        uniform in :math:`\pm 1/\sqrt{n_{in}}` (PyTorch's default bounds).
    seed : int, optional
        Seed of this layer's own random generator. Without it the layer draws from the book's
        shared stream after :func:`squareone.nnfs.init`, else from fresh OS entropy. A layer
        whose input size is inferred draws when it is built, so with the same seed it gets
        the very same weights as one given ``n_inputs`` (on the book's shared stream, draws
        happen in build order rather than creation order).
    dtype : {"float32", "float64"}, optional
        Parameter dtype. ``None`` means float32, or the dtype of the ``Model`` it joins.

    Attributes
    ----------
    built : bool
        Whether the input size is known and the parameters exist.
    weights : ndarray of shape (n_inputs, n_neurons)
    biases : ndarray of shape (1, n_neurons)
    dweights, dbiases : ndarray
        Gradients of the loss with respect to ``weights`` and ``biases`` after ``backward``.
    needs_input_gradient : bool
        ``False`` skips computing ``dinputs`` (the model sets it for its first layer, whose
        input gradient nothing uses: it saves one matrix product per step).

    Notes
    -----
    A layer created while :func:`squareone.nnfs.init` is in effect computes its products
    (``output``, ``dweights``, ``dinputs``) in float64 rounded to its dtype, and ``dbiases``
    with ``np.sum``, exactly as the book's code does under ``nnfs.init()``, so it prints the
    book's digits. Other layers use the faster float32 BLAS arithmetic.
    """

    parameter_names = ("weights", "biases")

    def __init__(self, *sizes: int, n_inputs: int | None = None, n_neurons: int | None = None,
                 activation=None, weight_bounds: tuple[float, float] | None = None,
                 weight_regularizer_l1: float = 0, weight_regularizer_l2: float = 0,
                 bias_regularizer_l1: float = 0, bias_regularizer_l2: float = 0,
                 weight_init: str | float | None = None, seed: int | None = None,
                 dtype=None) -> None:
        n_inputs, n_neurons = _sizes(sizes, n_inputs, n_neurons)
        self.n_inputs = None if n_inputs is None else check_positive_int(n_inputs, "n_inputs")
        self.n_neurons = check_positive_int(n_neurons, "n_neurons")
        if activation is not None:
            from squareone._names import ACTIVATIONS, resolve  # it imports this module

            activation = resolve(activation, ACTIVATIONS, "activation")
        self.activation = activation
        self.weight_bounds = None if weight_bounds is None else _bounds(weight_bounds)
        if weight_init is None:
            weight_init = _random.default_weight_init() if weight_bounds is None else None
        elif weight_bounds is not None:
            raise ValueError(f"pass weight_init or weight_bounds, not both; got "
                             f"weight_init={weight_init!r} and weight_bounds={weight_bounds!r}")
        self.weight_regularizer_l1 = check_number(weight_regularizer_l1, "weight_regularizer_l1")
        self.weight_regularizer_l2 = check_number(weight_regularizer_l2, "weight_regularizer_l2")
        self.bias_regularizer_l1 = check_number(bias_regularizer_l1, "bias_regularizer_l1")
        self.bias_regularizer_l2 = check_number(bias_regularizer_l2, "bias_regularizer_l2")
        self.weight_init = None if weight_init is None else check_weight_init(weight_init)
        self.seed = seed
        self.explicit_dtype = dtype is not None
        self.dtype = as_float_dtype("float32" if dtype is None else dtype)
        self.needs_input_gradient = True
        self.output = self.dinputs = None
        if _random.book_stream_active():
            # Chosen once: the fast path below keeps its plain np.dot (the class attributes).
            self._product, self._column_sums = _book_product, _book_column_sums
        self.inferred_inputs = False
        # The generator is chosen now, as for a layer created with its sizes; a layer whose
        # input size is inferred draws from it when build() learns that size.
        self._weight_rng = _random.random_source(seed)
        if self.n_inputs is not None:
            self._create_parameters()

    @property
    def built(self) -> bool:
        return self.n_inputs is not None

    def build(self, n_inputs: int) -> None:
        """Create the parameters now that the input size ``n_inputs`` is known.

        The weight matrix has shape ``(n_inputs, n_neurons)``, so nothing can be drawn
        before the first data (or the previous layer) fixes ``n_inputs``; from then on the
        layer is exactly ``Dense(n_inputs, n_neurons)`` with the same arguments.
        """
        if self.built:
            raise RuntimeError(f"{self!r} is already built")
        self.n_inputs = check_positive_int(n_inputs, "n_inputs")
        self.inferred_inputs = True
        self._create_parameters()

    def _create_parameters(self) -> None:
        self.weights = self._initial_weights(self._weight_rng).astype(self.dtype)
        del self._weight_rng  # drawn once: a later build must not draw again
        self.biases = np.zeros((1, self.n_neurons), dtype=self.dtype)
        self.dweights = np.zeros_like(self.weights)
        self.dbiases = np.zeros_like(self.biases)

    def __getattr__(self, name: str):
        # Called only for attributes that do not exist: the parameters of an unbuilt layer.
        if name in ("weights", "biases", "dweights", "dbiases"):
            raise AttributeError(
                f"Dense(n_neurons={self.__dict__.get('n_neurons')}) has no {name} yet: its "
                "input size is not known. It is inferred from the previous layer when the model "
                "is finalized, or for a first layer from the first data given to train, fit, "
                "predict or evaluate; or pass n_inputs=..., Model(input_size=...) or "
                "model.finalize(input_size=...)")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    _product = staticmethod(np.dot)
    _column_sums = staticmethod(_blas_column_sums)

    def get_parameters(self) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(weights, biases)``, the arrays themselves (the book's method)."""
        return self.weights, self.biases

    def set_parameters(self, weights, biases) -> None:
        """Copy ``weights`` and ``biases`` into the layer, checking their shapes.

        Copied into the existing arrays (not rebound, as the book does), so a model's flat
        parameter vector and its optimizer state stay attached.
        """
        for name, value in (("weights", weights), ("biases", biases)):
            target = getattr(self, name)
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(f"{name} for Dense({self.n_inputs}, {self.n_neurons}) must "
                                 f"have shape {target.shape}, got {value.shape}")
            np.copyto(target, value, casting="same_kind")

    def _initial_weights(self, rng) -> np.ndarray:
        shape = (self.n_inputs, self.n_neurons)
        if self.weight_bounds is not None:
            return rng.uniform(*self.weight_bounds, size=shape)
        if self.weight_init == "nnfs":
            return 0.01 * _random.standard_normal(rng, shape)
        if self.weight_init == "he":
            return _random.standard_normal(rng, shape) * np.sqrt(2.0 / self.n_inputs)
        if self.weight_init == "glorot":
            limit = np.sqrt(6.0 / (self.n_inputs + self.n_neurons))
            return rng.uniform(-limit, limit, size=shape)
        if self.weight_init == "uniform":
            limit = 1.0 / np.sqrt(self.n_inputs)
            return rng.uniform(-limit, limit, size=shape)
        return self.weight_init * _random.standard_normal(rng, shape)

    def set_dtype(self, dtype) -> None:
        """Cast parameters and gradient buffers to ``dtype`` (a no-op if already there)."""
        self.dtype = as_float_dtype(dtype)
        for name in self.parameter_names:
            for attribute in (name, "d" + name):
                setattr(self, attribute, getattr(self, attribute).astype(self.dtype, copy=False))

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        if inputs.ndim != 2 or inputs.shape[1] != self.n_inputs:
            if not self.built and inputs.ndim == 2:  # on its own, the first inputs size it
                self.build(inputs.shape[1])
                return self.forward(inputs, training)
            raise ValueError(f"Dense({self.n_inputs}, {self.n_neurons}) expects inputs of shape "
                             f"(n_samples, {self.n_inputs}), got shape {inputs.shape}")
        if inputs.dtype != self.dtype:
            inputs = inputs.astype(self.dtype)
        self.inputs = inputs
        self.output = self._product(inputs, self.weights)
        self.output += self.biases
        if self.activation is not None:
            self.output = self.activation.forward(self.output, training)
        return self.output

    def backward(self, dvalues: np.ndarray, *, skip_activation: bool = False) -> np.ndarray | None:
        """Return the gradient with respect to the inputs; keep those of weights and biases.

        With an ``activation``, ``dvalues`` is the gradient with respect to its outputs and
        goes through its ``backward`` first, unless ``skip_activation``: then ``dvalues`` is
        already the gradient with respect to the outputs before the activation (the model
        passes the combined softmax + cross-entropy gradient this way).
        """
        if self.activation is not None and not skip_activation:
            dvalues = self.activation.backward(dvalues)
        if dvalues.dtype != self.dtype:
            dvalues = dvalues.astype(self.dtype)
        # dL/dW = inputs^T . dvalues and dL/db = column sums; written into the existing
        # buffers so that no large array is allocated (and returned to the OS) every step.
        self._product(self.inputs.T, dvalues, out=self.dweights)
        self._column_sums(dvalues, out=self.dbiases)
        self._add_regularization_gradients()
        self.dinputs = (self._product(dvalues, self.weights.T) if self.needs_input_gradient
                        else None)
        return self.dinputs

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Return a model's predictions when this layer is its last: its activation's rule, or
        without an activation (a linear output, as in Keras) the outputs themselves."""
        return outputs if self.activation is None else self.activation.predictions(outputs)

    @property
    def regularized(self) -> bool:
        """Whether any L1 or L2 penalty is set (most networks have none: nothing to add)."""
        return bool(self.weight_regularizer_l1 or self.weight_regularizer_l2
                    or self.bias_regularizer_l1 or self.bias_regularizer_l2)

    def _add_regularization_gradients(self) -> None:
        if not self.regularized:
            return
        # d(lambda * sum|w|)/dw = lambda * sign(w); d(lambda * sum w^2)/dw = 2 * lambda * w
        for param, grad, l1, l2 in (
            (self.weights, self.dweights, self.weight_regularizer_l1, self.weight_regularizer_l2),
            (self.biases, self.dbiases, self.bias_regularizer_l1, self.bias_regularizer_l2),
        ):
            if l1:
                grad += l1 * np.sign(param)
            if l2:
                grad += (2 * l2) * param

    def regularization_loss(self) -> float:
        r"""Return :math:`\lambda_1\sum|w| + \lambda_2\sum w^2` over weights and biases."""
        loss = 0.0
        if not self.regularized:
            return loss
        for param, l1, l2 in (
            (self.weights, self.weight_regularizer_l1, self.weight_regularizer_l2),
            (self.biases, self.bias_regularizer_l1, self.bias_regularizer_l2),
        ):
            if l1:
                loss += l1 * float(np.abs(param).sum())
            if l2:
                loss += l2 * float(np.dot(param.ravel(), param.ravel()))
        return loss

    def config(self) -> dict:
        config = {"n_inputs": self.n_inputs, "n_neurons": self.n_neurons}
        if not self.built:
            del config["n_inputs"]
        if self.activation is not None:
            from squareone._names import ACTIVATIONS, name_of

            config["activation"] = name_of(self.activation, ACTIVATIONS) or self.activation
        for name in ("weight_regularizer_l1", "weight_regularizer_l2",
                     "bias_regularizer_l1", "bias_regularizer_l2"):
            if getattr(self, name):
                config[name] = getattr(self, name)
        if self.weight_bounds is not None:
            config["weight_bounds"] = self.weight_bounds
        elif self.weight_init != "nnfs":
            config["weight_init"] = self.weight_init
        return config


def _sizes(sizes: tuple, n_inputs, n_neurons) -> tuple:
    """Return ``(n_inputs, n_neurons)`` from Dense's positional sizes and keywords."""
    if len(sizes) > 2:
        raise TypeError(f"Dense takes at most two sizes, (n_inputs, n_neurons), got "
                        f"{len(sizes)}: {sizes!r}")
    if len(sizes) == 2 or (len(sizes) == 1 and n_neurons is not None):
        given = dict(zip(("n_inputs", "n_neurons"), sizes))  # the book's order
    else:
        given = dict(zip(("n_neurons",), sizes))  # Dense(n_neurons), Keras' way
    for name, value in (("n_inputs", n_inputs), ("n_neurons", n_neurons)):
        if value is not None:
            if name in given:
                raise TypeError(f"Dense got {name} twice: as a size ({given[name]!r}) and as "
                                f"{name}={value!r}")
            given[name] = value
    if "n_neurons" not in given:
        raise TypeError("Dense needs its number of neurons: Dense(n_neurons) or "
                        "Dense(n_inputs, n_neurons)")
    return given.get("n_inputs"), given["n_neurons"]


def _bounds(weight_bounds) -> tuple[float, float]:
    """Return ``weight_bounds`` as ``(low, high)`` floats, checked: finite, ``low < high``."""
    expected = "a pair (low, high) of finite numbers with low < high"
    try:
        low, high = weight_bounds
        low = check_number(low, "weight_bounds[0]", low=-np.inf)
        high = check_number(high, "weight_bounds[1]", low=-np.inf)
    except (TypeError, ValueError):
        raise ValueError(f"weight_bounds must be {expected}, got {weight_bounds!r}") from None
    if not low < high:
        raise ValueError(f"weight_bounds must be {expected}, got low={low} >= high={high}")
    return low, high


class Dropout(Layer):
    r"""Randomly zero a fraction ``rate`` of the inputs while training.

    Kept values are scaled by :math:`1/(1 - rate)` so that the expected sum is unchanged and
    nothing needs rescaling at inference, where the layer is the identity.

    Parameters
    ----------
    rate : float in [0, 1)
        Fraction of the inputs dropped (the book's ``rate``; the keep probability is
        ``1 - rate``).
    seed : int, optional
        Seed of this layer's own random generator (see :class:`Dense`).
    """

    def __init__(self, rate: float, *, seed: int | None = None) -> None:
        self.rate = check_number(rate, "rate", low=0.0, high=1.0)
        self.seed = seed
        self._rng = _random.random_source(seed)
        self.drops_by_default = _random.book_stream_active()
        self.binary_mask = None
        self.output = self.dinputs = None

    def forward(self, inputs: np.ndarray, training: bool | None = None) -> np.ndarray:
        """Drop inputs when ``training``; otherwise return them unchanged.

        Without ``training``, a layer created after :func:`squareone.nnfs.init` drops, as the
        book's Chapter 15 calls ``forward(inputs)`` while training; any other layer does not.
        """
        self.inputs = inputs
        if training is None:
            training = self.drops_by_default
        if not training or self.rate == 0.0:
            self.binary_mask = None
            self.output = inputs
            return self.output
        keep = 1.0 - self.rate
        # Drawn by NumPy's generator (the book's random stream), then moved to the inputs'
        # array module (np.asarray returns NumPy's mask itself when the inputs are NumPy's).
        mask = _random.keep_mask(self._rng, keep, inputs.shape, inputs.dtype)
        self.binary_mask = np.asarray(mask, like=inputs)
        self.binary_mask /= inputs.dtype.type(keep)
        self.output = inputs * self.binary_mask
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        # d(output)/d(inputs) is the scaled mask itself.
        self.dinputs = dvalues if self.binary_mask is None else dvalues * self.binary_mask
        return self.dinputs

    def config(self) -> dict:
        return {"rate": self.rate}
