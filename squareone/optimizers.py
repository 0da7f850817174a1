"""Optimizers: SGD (with momentum), AdaGrad, RMSprop and Adam, with the book's defaults.

The book's protocol is kept: ``pre_update_params()`` once per step (learning-rate decay),
``update_params(layer)`` for each trainable layer, ``post_update_params()`` (step count).
Decay is per step: :math:`\\eta_t = \\eta / (1 + decay \\cdot t)`.

Optimizer state (momentums, caches) lives here, keyed by parameter, not on the layers. Each
update is written with in-place ufuncs into buffers allocated once per parameter: the
formulas are the book's, but no temporary array is created on the hot path.
"""

from __future__ import annotations

import math

import numpy as np

from squareone import _random
from squareone._validation import check_number

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam"]


class Optimizer:
    """Base class: learning-rate decay, step counting and per-parameter state.

    Subclasses implement :meth:`update`, which changes ``param`` in place from ``grad``.
    """

    def __init__(self, learning_rate: float, decay: float) -> None:
        self.learning_rate = check_number(learning_rate, "learning_rate", low=0.0,
                                          low_inclusive=False)
        self.decay = check_number(decay, "decay")
        self.current_learning_rate = self.learning_rate
        self.iterations = 0
        self._state: dict[int, dict[str, np.ndarray]] = {}

    def pre_update_params(self) -> None:
        """Apply learning-rate decay for the coming step."""
        if self.decay:
            # The book's order of operations, so the printed rate matches its last digit.
            self.current_learning_rate = self.learning_rate * (
                1.0 / (1.0 + self.decay * self.iterations))

    def update_params(self, layer) -> None:
        """Update every ``(parameter, gradient)`` pair of ``layer`` in place."""
        for param, grad in layer.parameters():
            self.update(param, grad, self.state_for(param))

    def post_update_params(self) -> None:
        """Count the finished step."""
        self.iterations += 1

    def state_for(self, param: np.ndarray) -> dict[str, np.ndarray]:
        """Return the state of ``param``, created empty on first use.

        Keyed by the array's identity; the array itself is kept in the entry so that its
        ``id`` cannot be reused by another array while the state lives.
        """
        entry = self._state.get(id(param))
        if entry is None or entry["param"] is not param:
            entry = self._state[id(param)] = {"param": param}
        return entry

    def buffers(self, state: dict, param: np.ndarray, *names: str) -> list[np.ndarray]:
        """Return the named zero-initialised buffers of ``state``, shaped like ``param``."""
        for name in names:
            if name not in state:
                state[name] = np.zeros_like(param)
        return [state[name] for name in names]

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
        raise NotImplementedError

    def config(self) -> dict:
        """Return the hyperparameters that rebuild this optimizer."""
        return {"learning_rate": self.learning_rate, "decay": self.decay}

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({arguments})"


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum.

    Without momentum :math:`w \leftarrow w - \eta\,g`; with momentum :math:`m` the update is
    :math:`v \leftarrow m\,v - \eta\,g`, :math:`w \leftarrow w + v`.
    """

    def __init__(self, learning_rate: float = 1.0, decay: float = 0.0,
                 momentum: float = 0.0) -> None:
        super().__init__(learning_rate, decay)
        self.momentum = check_number(momentum, "momentum", high=1.0)

    def update(self, param, grad, state) -> None:
        (scratch,) = self.buffers(state, param, "scratch")
        np.multiply(grad, -self.current_learning_rate, out=scratch)  # -eta * g
        if self.momentum:
            (velocity,) = self.buffers(state, param, "momentums")
            velocity *= self.momentum
            velocity += scratch
            param += velocity
        else:
            param += scratch

    def config(self) -> dict:
        return {**super().config(), "momentum": self.momentum}


class _AdaptiveOptimizer(Optimizer):
    r"""Shared last step of AdaGrad and RMSprop.

    :math:`w \leftarrow w - \eta\,g/(\sqrt{c}+\epsilon)` with :math:`c` the cache.
    """

    def __init__(self, learning_rate: float, decay: float, epsilon: float) -> None:
        super().__init__(learning_rate, decay)
        self.epsilon = check_number(epsilon, "epsilon", low_inclusive=False)

    def apply_cache(self, param, grad, cache, scratch) -> None:
        np.sqrt(cache, out=scratch)
        scratch += self.epsilon
        np.divide(grad, scratch, out=scratch)
        scratch *= -self.current_learning_rate
        param += scratch

    def config(self) -> dict:
        return {**super().config(), "epsilon": self.epsilon}


class Adagrad(_AdaptiveOptimizer):
    r"""AdaGrad: a per-parameter cache of squared gradients, :math:`c \leftarrow c + g^2`."""

    def __init__(self, learning_rate: float = 1.0, decay: float = 0.0,
                 epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate, decay, epsilon)

    def update(self, param, grad, state) -> None:
        cache, scratch = self.buffers(state, param, "cache", "scratch")
        np.square(grad, out=scratch)
        cache += scratch
        self.apply_cache(param, grad, cache, scratch)


class RMSprop(_AdaptiveOptimizer):
    r"""RMSprop: a moving average of squared gradients, :math:`c \leftarrow \rho c+(1-\rho)g^2`."""

    def __init__(self, learning_rate: float = 0.001, decay: float = 0.0, epsilon: float = 1e-7,
                 rho: float = 0.9) -> None:
        super().__init__(learning_rate, decay, epsilon)
        self.rho = check_number(rho, "rho", high=1.0)

    def update(self, param, grad, state) -> None:
        cache, scratch = self.buffers(state, param, "cache", "scratch")
        np.square(grad, out=scratch)
        scratch *= 1 - self.rho
        cache *= self.rho
        cache += scratch
        self.apply_cache(param, grad, cache, scratch)

    def config(self) -> dict:
        return {**super().config(), "rho": self.rho}


class Adam(Optimizer):
    r"""Adam: momentum plus an RMSprop cache, both bias-corrected.

    .. math::
        m &\leftarrow \beta_1 m + (1-\beta_1) g, \qquad
        c \leftarrow \beta_2 c + (1-\beta_2) g^2 \\
        \hat m &= m / (1-\beta_1^{t}), \qquad \hat c = c / (1-\beta_2^{t}) \\
        w &\leftarrow w - \eta\,\hat m / (\sqrt{\hat c} + \epsilon)

    with :math:`t` the step number starting at 1. The state is stored as
    :math:`m/(1-\beta_1)` and :math:`c/(1-\beta_2)` (see ``update``): the same algorithm in
    fewer passes over memory. With ``book_arithmetic=True`` (the default of an Adam created
    after :func:`squareone.nnfs.init`) it computes the book's expressions in the book's
    order instead, and keeps :math:`m` and :math:`c` themselves, so that the book's training
    runs are retraced to the last digit.
    """

    def __init__(self, learning_rate: float = 0.001, decay: float = 0.0, epsilon: float = 1e-7,
                 beta_1: float = 0.9, beta_2: float = 0.999, *,
                 book_arithmetic: bool | None = None) -> None:
        super().__init__(learning_rate, decay)
        self.epsilon = check_number(epsilon, "epsilon", low_inclusive=False)
        self.beta_1 = check_number(beta_1, "beta_1", high=1.0)
        self.beta_2 = check_number(beta_2, "beta_2", high=1.0)
        if book_arithmetic is None:
            book_arithmetic = _random.book_stream_active()
        if not isinstance(book_arithmetic, (bool, np.bool_)):
            raise TypeError(f"book_arithmetic must be True, False or None, got "
                            f"{book_arithmetic!r}")
        #: The book's formulas in the book's order (see ``book_update``), chosen once: an
        #: Adam created after ``squareone.nnfs.init()`` retraces the book's runs digit by
        #: digit. Its state holds m and c themselves, so a saved model keeps this setting.
        self.book_arithmetic = bool(book_arithmetic)
        if self.book_arithmetic:
            self.update = self.book_update

    def update(self, param, grad, state) -> None:
        momentums, cache, scratch = self.buffers(state, param, "momentums", "cache", "scratch")
        step = self.iterations + 1
        beta_1, beta_2 = self.beta_1, self.beta_2
        # The state is kept divided by (1 - beta): momentums = m / (1 - beta_1) and
        # cache = c / (1 - beta_2). The two recurrences above then need no scaling of g,
        # which saves two passes over the arrays (Adam's cost is memory traffic):
        #   m' = beta_1 * m' + g,    c' = beta_2 * c' + g^2
        momentums *= beta_1
        momentums += grad
        cache *= beta_2
        np.square(grad, out=scratch)
        cache += scratch
        # w -= eta * m_hat / (sqrt(c_hat) + eps) with m_hat = (1 - beta_1) m' / (1 - beta_1^t)
        # and sqrt(c_hat) = k sqrt(c'), k = sqrt((1 - beta_2) / (1 - beta_2^t)). Dividing
        # through by k folds both bias corrections into two scalars (Kingma & Ba, section 2):
        #   w -= eta_t * m' / (sqrt(c') + eps / k),  eta_t = eta (1 - beta_1) / ((1 - beta_1^t) k)
        k = math.sqrt((1 - beta_2) / (1 - beta_2 ** step))
        np.sqrt(cache, out=scratch)
        scratch += self.epsilon / k
        np.divide(momentums, scratch, out=scratch)
        scratch *= -self.current_learning_rate * (1 - beta_1) / ((1 - beta_1 ** step) * k)
        param += scratch

    def book_update(self, param, grad, state) -> None:
        """The book's Adam step, operation by operation (temporary arrays and all)."""
        momentums, cache = self.buffers(state, param, "momentums", "cache")
        step = self.iterations + 1
        momentums[...] = self.beta_1 * momentums + (1 - self.beta_1) * grad
        momentums_corrected = momentums / (1 - self.beta_1 ** step)
        cache[...] = self.beta_2 * cache + (1 - self.beta_2) * grad ** 2
        cache_corrected = cache / (1 - self.beta_2 ** step)
        param += -self.current_learning_rate * momentums_corrected / (
            np.sqrt(cache_corrected) + self.epsilon)

    def config(self) -> dict:
        config = {**super().config(), "epsilon": self.epsilon, "beta_1": self.beta_1,
                  "beta_2": self.beta_2}
        if self.book_arithmetic:
            config["book_arithmetic"] = True
        return config
