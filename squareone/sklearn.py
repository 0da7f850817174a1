"""scikit-learn estimators on squareone: ``NeuralNetworkClassifier``, ``NeuralNetworkRegressor``.

Each builds a squareone :class:`~squareone.Model` (the command line's multilayer perceptron,
:func:`squareone.cli.build_model`) when ``fit`` sees the data, and trains it with
:meth:`~squareone.Model.train`. They follow scikit-learn's conventions, so they work in a
``Pipeline``, with ``clone``, ``cross_val_score`` and ``GridSearchCV``::

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from squareone.sklearn import NeuralNetworkClassifier

    classifier = make_pipeline(StandardScaler(), NeuralNetworkClassifier(hidden_layer_sizes=(64,)))
    classifier.fit(X, y).score(X_test, y_test)

Needs scikit-learn: ``pip install squareone[sklearn]``. ``import squareone`` never imports it.

Pickling (which joblib uses to send estimators to worker processes, e.g. ``n_jobs=2``) stores
the fitted model as the bytes of a squareone model file (:func:`squareone.io.model_to_bytes`),
not as pickled Python objects; model *files* are written with ``model_.save(path)``.

Both estimators pass ``sklearn.utils.estimator_checks.check_estimator`` with no check expected
to fail (``EXPECTED_FAILED_CHECKS`` is empty).
"""

from __future__ import annotations

import numpy as np

from squareone import io
from squareone._extras import require
from squareone._names import OPTIMIZERS
from squareone._validation import as_float_dtype, check_number, check_positive_int
from squareone.cli.train import build_model
from squareone.model import History

_base = require("sklearn.base", "sklearn", "squareone.sklearn")
_validation = require("sklearn.utils.validation", "sklearn", "squareone.sklearn")
_multiclass = require("sklearn.utils.multiclass", "sklearn", "squareone.sklearn")
_utils = require("sklearn.utils", "sklearn", "squareone.sklearn")

__all__ = ["NeuralNetworkClassifier", "NeuralNetworkRegressor", "EXPECTED_FAILED_CHECKS"]

#: Checks of ``check_estimator`` these estimators are expected to fail, with the reason: none.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}

#: Samples per step when ``batch_size`` is None, at most (scikit-learn's MLP does the same).
DEFAULT_BATCH_SIZE = 200


#: The parameters and attributes both estimators document (each adds its own).
_SHARED_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        Neurons of each hidden layer (an empty sequence: no hidden layer).
    activation : {"relu", "tanh", "sigmoid", "linear"}, default "relu"
        Activation of the hidden layers. Their weights start with ``"he"`` initialisation for
        ReLU and ``"glorot"`` otherwise (see :class:`squareone.Dense`).
    optimizer : {"adam", "sgd", "adagrad", "rmsprop"}, default "adam"
    learning_rate : float, default 0.001
    decay : float, default 0
        Learning-rate decay per step, as in the book: $\\alpha_t = \\alpha / (1 + decay \\cdot t)$.
    l2 : float, default 0
        L2 penalty $\\lambda \\sum w^2$ on the weights and biases of the hidden layers.
    dropout : float, default 0
        Dropout rate after each hidden layer.
    epochs : int, default 200
        Passes over the data in ``fit`` (``partial_fit`` makes one).
    batch_size : int, optional
        Samples per step; by default ``min(200, n_samples)``. Samples are shuffled every epoch.
    validation_split : float in (0, 1), optional
        Hold out this random fraction of the training data; ``history_`` then records the
        validation loss and accuracy after every epoch.
    random_state : int, RandomState or None
        Fixes the initial weights, the dropout masks, the order of the samples and the
        validation split, so that two fits give the very same model.
    verbose : {0, 1, 2}, default 0
        As in :meth:`squareone.Model.train`: 1 prints a line per epoch, 2 adds progress bars.
    dtype : {"float64", "float32"}, default "float64"
        The model's dtype; float32 is about twice as fast, float64 is what scikit-learn uses.

    Attributes
    ----------
    model_ : squareone.Model
        The trained network.
    history_ : squareone.History
        Loss and accuracy per epoch (of every ``fit`` epoch, or every ``partial_fit`` call).
    n_features_in_ : int
        Features seen in ``fit``.
"""


class _NeuralNetwork(_base.BaseEstimator):
    """What the classifier and the regressor share: parameters, building, training, pickling."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam",
                 learning_rate=0.001, decay=0.0, l2=0.0, dropout=0.0, epochs=200,
                 batch_size=None, validation_split=None, random_state=None, verbose=0,
                 dtype="float64"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.decay = decay
        self.l2 = l2
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype

    # --- what subclasses define ----------------------------------------------------------

    _regression = False

    def _targets(self, y, *, first: bool, classes=None) -> np.ndarray:
        """Return ``y`` as the model's training targets; on the ``first`` fit, learn them."""
        raise NotImplementedError

    def _n_outputs(self, targets: np.ndarray) -> int:
        """Return the number of output neurons for these targets."""
        raise NotImplementedError

    # --- fitting ----------------------------------------------------------------------------

    def fit(self, X, y):
        """Build a new network for ``X`` and train it for ``epochs`` epochs; return self."""
        X, y = self._validate(X, y, reset=True)
        targets = self._targets(y, first=True)
        self._start(X.shape[1], targets)
        self.history_ = self._train(X, targets, check_positive_int(self.epochs, "epochs"))
        return self

    def _partial_fit(self, X, y, classes=None):
        first = not hasattr(self, "model_")
        X, y = self._validate(X, y, reset=first)
        targets = self._targets(y, first=first, classes=classes)
        if first:
            self._start(X.shape[1], targets)
            self.history_ = History()
        for key, values in self._train(X, targets, epochs=1).history.items():
            getattr(self.history_, key).extend(values)
        self.history_.epoch[-1] = len(self.history_)
        return self

    def _validate(self, X, y, *, reset: bool):
        dtype = as_float_dtype(self.dtype, "dtype")
        return _validation.validate_data(self, X, y, reset=reset, dtype=dtype,
                                         multi_output=self._regression,
                                         y_numeric=self._regression)

    def _start(self, n_features: int, targets: np.ndarray) -> None:
        """Build the model and the random streams of a new fit."""
        random = _utils.check_random_state(self.random_state)
        model_seed, self._order_seed, self._split_seed = (
            int(seed) for seed in random.randint(np.iinfo(np.int32).max, size=3))
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if isinstance(hidden, (int, np.integer)) else list(hidden)
        hidden = [check_positive_int(size, "hidden_layer_sizes") for size in hidden]
        # A name, not an optimizer object: fit must not change its parameters' values, and an
        # optimizer object keeps the state of the training it takes part in.
        if not isinstance(self.optimizer, str):
            raise TypeError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}, "
                            f"got {type(self.optimizer).__name__}")
        if self.optimizer.lower() not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}, "
                             f"got {self.optimizer!r}")
        optimizer = OPTIMIZERS[self.optimizer.lower()](learning_rate=self.learning_rate,
                                                       decay=self.decay)
        n_outputs = self._n_outputs(targets)
        self.model_ = build_model(
            n_features, n_outputs, hidden=hidden, activation=self.activation,
            dropout=check_number(self.dropout, "dropout", high=1.0),
            l2=check_number(self.l2, "l2"), regression=self._regression, optimizer=optimizer,
            weight_init="he" if self.activation == "relu" else "glorot", seed=model_seed,
            dtype=as_float_dtype(self.dtype, "dtype"))
        # The sample order continues from call to call of partial_fit.
        self._order = np.random.default_rng(self._order_seed)

    def _train(self, X: np.ndarray, targets: np.ndarray, epochs: int) -> History:
        validation = None
        if self.validation_split is not None:
            fraction = check_number(self.validation_split, "validation_split", low=0.0,
                                    low_inclusive=False, high=1.0)
            n_val = int(round(len(X) * fraction))
            if not 0 < n_val < len(X):
                raise ValueError(f"validation_split={fraction} leaves {n_val} validation and "
                                 f"{len(X) - n_val} training samples; both must be at least 1")
            shuffled = np.random.default_rng(self._split_seed).permutation(len(X))
            held_out, kept = shuffled[:n_val], shuffled[n_val:]
            validation = (X[held_out], targets[held_out])
            X, targets = X[kept], targets[kept]
        batch_size = (min(DEFAULT_BATCH_SIZE, len(X)) if self.batch_size is None
                      else check_positive_int(self.batch_size, "batch_size"))
        return self.model_.train(X, targets, epochs=epochs, batch_size=batch_size,
                                 validation_data=validation, shuffle=True, seed=self._order,
                                 verbose=self.verbose)

    def _outputs(self, X) -> np.ndarray:
        _validation.check_is_fitted(self, "model_")
        X = _validation.validate_data(self, X, reset=False, dtype=self.model_.dtype)
        return self.model_.predict(X)

    # --- pickling: the model as the bytes of a model file ------------------------------------

    def __getstate__(self):
        state = super().__getstate__()
        if "model_" in state:
            state = {**state, "model_": io.model_to_bytes(state["model_"])}
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            state = {**state, "model_": io.model_from_bytes(state["model_"])}
        super().__setstate__(state)


class NeuralNetworkClassifier(_base.ClassifierMixin, _NeuralNetwork):
    __doc__ = """A multilayer perceptron classifier: hidden layers, then softmax over the classes.

    Trained with categorical cross-entropy; the labels may be of any type (strings,
    non-contiguous integers), ``classes_`` holds them sorted, and the model's output ``k`` is
    the probability of ``classes_[k]``.
""" + _SHARED_DOC + """    classes_ : ndarray
        The class labels, sorted.
"""

    def _targets(self, y, *, first: bool, classes=None) -> np.ndarray:
        _multiclass.check_classification_targets(y)
        if first:
            self.classes_ = np.unique(y if classes is None else classes)
        ids = np.searchsorted(self.classes_, y)
        unknown = (ids >= len(self.classes_)) | (self.classes_[np.minimum(
            ids, len(self.classes_) - 1)] != y)
        if unknown.any():
            raise ValueError(f"y holds labels {np.unique(np.asarray(y)[unknown]).tolist()} that "
                             f"are not among classes_ {self.classes_.tolist()}; pass every "
                             "class as classes= on the first call to partial_fit")
        return ids

    def _n_outputs(self, targets: np.ndarray) -> int:
        return len(self.classes_)

    def partial_fit(self, X, y, classes=None):
        """Train for one epoch; the first call builds the network.

        Parameters
        ----------
        classes : array-like, optional
            Every label the data will hold, on the first call (by default the labels of this
            first batch); later batches may only hold these.
        """
        return self._partial_fit(X, y, classes)

    def predict_proba(self, X) -> np.ndarray:
        """Return the probability of each class (columns in the order of ``classes_``)."""
        return self._outputs(X)

    def predict(self, X) -> np.ndarray:
        """Return the most probable class label of each sample."""
        probabilities = self.predict_proba(X)  # first: it checks that we were fitted
        return self.classes_[np.argmax(probabilities, axis=1)]


class NeuralNetworkRegressor(_base.RegressorMixin, _NeuralNetwork):
    __doc__ = """A multilayer perceptron regressor: hidden layers, then a linear output.

    Trained with mean squared error, on one target or several (``y`` of shape
    ``(n_samples, n_targets)``). The targets are used as given: scale them (e.g. with
    ``TransformedTargetRegressor``) when they are large.
""" + _SHARED_DOC

    _regression = True

    def _targets(self, y, *, first: bool, classes=None) -> np.ndarray:
        y = np.asarray(y)
        if first:
            self._n_targets = None if y.ndim == 1 else y.shape[1]
        elif (None if y.ndim == 1 else y.shape[1]) != self._n_targets:
            raise ValueError(f"y has shape {y.shape}, but the model was fitted on "
                             f"{self._n_targets or 1} target(s) of shape (n_samples,"
                             f"{'' if self._n_targets is None else f' {self._n_targets}'})")
        return y.reshape(len(y), -1)

    def _n_outputs(self, targets: np.ndarray) -> int:
        return targets.shape[1]

    def partial_fit(self, X, y):
        """Train for one epoch; the first call builds the network."""
        return self._partial_fit(X, y)

    def predict(self, X) -> np.ndarray:
        """Return the predicted targets: shape ``(n_samples,)`` for one target, else 2-D."""
        outputs = self._outputs(X)
        return outputs.ravel() if self._n_targets is None else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
