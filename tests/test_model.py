"""The Model: end-to-end gradients, training, evaluation, prediction, and clear errors."""

import os
import re
import signal
import warnings

import numpy as np
import pytest
from conftest import assert_gradients_close, numerical_gradient
from hypothesis import given, settings
from hypothesis import strategies as st

import squareone as sq
from squareone.model import INFERENCE_BATCH_SIZE


def classifier(dtype="float32", hidden=16, dropout=None, l2=0.0, optimizer=None, seed=0):
    model = sq.Model(dtype=dtype)
    model.add(sq.Dense(2, hidden, weight_init="he", seed=seed, weight_regularizer_l2=l2,
                       bias_regularizer_l2=l2))
    model.add(sq.ReLU())
    if dropout:
        model.add(sq.Dropout(dropout, seed=seed))
    model.add(sq.Dense(hidden, 3, weight_init="he", seed=seed + 1))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(),
              optimizer=optimizer or sq.Adam(learning_rate=0.02),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model


@pytest.fixture(scope="module")
def spiral():
    return sq.datasets.spiral_data(100, 3, seed=0)


@pytest.mark.parametrize("output, loss, make_y", [
    (sq.Softmax, sq.CategoricalCrossentropy, lambda r: r.integers(0, 3, size=6)),
    (sq.Sigmoid, sq.BinaryCrossentropy, lambda r: r.integers(0, 2, size=(6, 3)).astype(float)),
    (sq.Linear, sq.MeanSquaredError, lambda r: r.normal(size=(6, 3))),
    (sq.Tanh, sq.MeanAbsoluteError, lambda r: r.normal(size=(6, 3))),
])
@pytest.mark.parametrize("short", [False, True], ids=["book", "short"])
def test_model_gradients_match_central_differences(output, loss, make_y, short):
    rng = np.random.default_rng(5)
    model = sq.Model(dtype="float64")
    if short:  # the same network with each activation inside its Dense layer, sizes inferred
        model.add(sq.Dense(5, activation="tanh", weight_init="he", seed=0,
                           weight_regularizer_l2=0.01, bias_regularizer_l1=0.01))
        model.add(sq.Dense(3, activation=output(), weight_init="he", seed=1,
                           weight_regularizer_l1=0.01))
    else:
        model.add(sq.Dense(4, 5, weight_init="he", seed=0, weight_regularizer_l2=0.01,
                           bias_regularizer_l1=0.01))
        model.add(sq.Tanh())
        model.add(sq.Dense(5, 3, weight_init="he", seed=1, weight_regularizer_l1=0.01))
        model.add(output())
    model.set(loss=loss(), optimizer=sq.SGD())
    model.finalize(input_size=4)
    for layer in model.trainable_layers:
        layer.biases[:] = rng.normal(size=layer.biases.shape)
    X, y = rng.normal(size=(6, 4)), make_y(rng)
    y = model.loss.prepare_targets(y, 3, np.float64)

    def total_loss():
        return float(np.mean(model.loss.forward(model.forward(X), y))
                     + model.regularization_loss())

    output_values = model.forward(X)
    model.backward(output_values, y)
    for layer in model.trainable_layers:
        assert_gradients_close(layer.dweights.copy(), numerical_gradient(total_loss, layer.weights))
        assert_gradients_close(layer.dbiases.copy(), numerical_gradient(total_loss, layer.biases))


def test_finalize_fuses_softmax_and_crossentropy(spiral):
    model = classifier()
    assert isinstance(model._softmax_classifier_output, sq.SoftmaxCategoricalCrossentropy)
    assert model.trainable_layers == [model.layers[0], model.layers[2]]
    assert model.layers[0].needs_input_gradient is False
    assert model.layers[2].needs_input_gradient is True


def test_training_learns_and_records_history():
    X, y = sq.datasets.vertical_data(100, 3, seed=0)
    model = classifier(dropout=0.1, l2=1e-4)
    history = model.train(X, y, epochs=300, batch_size=64, shuffle=True, seed=0,
                          validation_data=(X, y), verbose=0)
    assert len(history) == 300 and history.epoch == list(range(1, 301))
    assert set(history.history) == set(sq.History.KEYS)
    assert all(len(values) == 300 for values in history.history.values())
    assert history.accuracy[-1] > 0.85 > history.accuracy[0]
    assert history.loss[-1] < 0.5 * history.loss[0]
    np.testing.assert_allclose(history.loss, np.add(history.data_loss,
                                                    history.regularization_loss))
    assert all(r > 0 for r in history.regularization_loss)
    metrics = model.evaluate(X, y)
    assert set(metrics) == {"loss", "accuracy"}
    assert metrics["accuracy"] == pytest.approx(history.val_accuracy[-1])
    probabilities = model.predict(X)
    predictions = model.output_layer_activation.predictions(probabilities)
    assert np.mean(predictions == y) == pytest.approx(metrics["accuracy"])


def test_predict_and_evaluate_are_the_same_in_batches(spiral):
    X, y = spiral
    model = classifier()
    model.train(X, y, epochs=20, verbose=0)
    np.testing.assert_allclose(model.predict(X, batch_size=7), model.predict(X), rtol=1e-6)
    batched, whole = model.evaluate(X, y, batch_size=32), model.evaluate(X, y)
    assert batched["accuracy"] == whole["accuracy"]
    assert batched["loss"] == pytest.approx(whole["loss"], rel=1e-6)


def test_predict_and_evaluate_go_through_large_inputs_in_chunks():
    rng = np.random.default_rng(3)
    n = 2 * INFERENCE_BATCH_SIZE + 452
    X, y = rng.standard_normal((n, 2)), rng.integers(0, 3, n)
    model = classifier()
    whole = model.predict(X, batch_size=n)
    chunked = model.predict(X)
    # The last chunk is what the first layer saw last: the default did not run all rows at once.
    assert model.layers[0].output.shape == (452, 16)
    assert chunked.shape == (n, 3) and chunked.flags.c_contiguous
    np.testing.assert_allclose(chunked, whole, rtol=1e-6)
    result = model.evaluate(X, y)
    assert model.layers[0].output.shape == (452, 16)
    assert result == pytest.approx(model.evaluate(X, y, batch_size=n), rel=1e-6)


def test_validation_split_holds_out_the_last_samples(spiral):
    X, y = spiral
    model = classifier()
    history = model.train(X, y, epochs=2, validation_split=0.2, verbose=0)
    assert len(history.val_loss) == 2
    assert history.val_accuracy[-1] == model.evaluate(X[-60:], y[-60:])["accuracy"]


def test_shuffled_training_is_reproducible_with_a_seed(spiral):
    X, y = spiral
    runs = []
    for _ in range(2):
        model = classifier()
        model.train(X, y, epochs=3, batch_size=32, shuffle=True, seed=4, verbose=0)
        runs.append(model.get_parameters())
    for (w1, b1), (w2, b2) in zip(*runs):
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)


def test_float64_models_compute_in_float64(spiral):
    X, y = spiral
    model = classifier(dtype="float64")
    assert all(p.dtype == np.float64 for w_b in model.get_parameters() for p in w_b)
    model.train(X, y, epochs=2, verbose=0)
    assert model.predict(X).dtype == np.float64
    assert classifier().predict(X.astype(np.float64)).dtype == np.float32


def test_layer_and_model_dtypes_must_agree():
    model = sq.Model(dtype="float64")
    model.add(sq.Dense(2, 2, dtype="float32"))
    with pytest.raises(ValueError, match="dtype=float32 but the model's dtype is float64"):
        model.finalize()


def test_get_and_set_parameters(spiral):
    X, _ = spiral
    source, target = classifier(seed=0), classifier(seed=10)
    target.set_parameters(source.get_parameters())
    np.testing.assert_array_equal(target.predict(X), source.predict(X))
    with pytest.raises(ValueError, match=r"expects a parameter of shape \(2, 16\), got \(3, 16\)"):
        target.set_parameters([(np.zeros((3, 16)), np.zeros((1, 16))), source.get_parameters()[1]])
    with pytest.raises(ValueError, match="expected parameters for 2 trainable layers, got 1"):
        target.set_parameters(source.get_parameters()[:1])


def test_inference_only_model_needs_no_loss_or_optimizer():
    model = sq.Model()
    model.add(sq.Dense(2, 3, seed=0))
    model.add(sq.Softmax())
    model.finalize()
    np.testing.assert_allclose(model.predict(np.ones((4, 2))).sum(axis=1), 1.0, rtol=1e-6)
    with pytest.raises(RuntimeError, match="no optimizer"):
        model.train(np.ones((4, 2)), [0, 1, 2, 0])
    with pytest.raises(RuntimeError, match="no loss"):
        model.evaluate(np.ones((4, 2)), [0, 1, 2, 0])


def test_the_default_accuracy_follows_the_loss():
    model = sq.Model()
    model.add(sq.Dense(1, 1))
    model.add(sq.Linear())
    model.set(loss=sq.MeanSquaredError(), optimizer=sq.Adam())
    model.finalize()
    assert isinstance(model.accuracy, sq.RegressionAccuracy)


@pytest.mark.parametrize("X, y, error, fragment", [
    (np.ones(10), np.zeros(10), ValueError, r"X must be 2-D, got an array of shape \(10,\)"),
    (np.ones((10, 3)), np.zeros(10), ValueError, "X has 3 features per sample but the first "
                                                 "layer expects 2"),
    (np.ones((10, 2)), np.zeros(9), ValueError, r"len\(X\)=10 and len\(y\)=9"),
    (np.ones((10, 2)), np.full(10, 3), ValueError, r"class ids in y must be in \[0, 2\]"),
    (np.ones((10, 2)), np.eye(4)[np.zeros(10, int)], ValueError, "one-hot y must have 3 columns"),
    (np.full((10, 2), np.nan), np.zeros(10), ValueError, "X contains 20 NaN or infinite"),
    (np.ones((10, 2)), np.r_[np.zeros(9), np.inf], ValueError, "y contains 1 NaN or infinite"),
    (np.ones((0, 2)), np.zeros(0), ValueError, "X is empty"),
    (np.array([["a", "b"]]), np.zeros(1), TypeError, "X must hold numbers"),
])
def test_bad_training_data_gets_a_clear_error(X, y, error, fragment):
    with pytest.raises(error, match=fragment):
        classifier().train(X, y, epochs=1, verbose=0)


def test_validation_data_errors_name_the_validation_arguments(spiral):
    X, y = spiral
    with pytest.raises(ValueError, match=r"class ids in y_val must be in"):
        classifier().train(X, y, validation_data=(X[:5], np.full(5, 7)), verbose=0)
    with pytest.raises(ValueError, match="X_val has 3 features"):
        classifier().train(X, y, validation_data=(np.ones((5, 3)), y[:5]), verbose=0)


def test_train_without_optimizer_and_incompatible_losses_are_errors(spiral):
    X, y = spiral
    model = sq.Model()
    model.add(sq.Dense(2, 3))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy())
    with pytest.raises(RuntimeError, match="the model has no optimizer"):
        model.train(X, y)  # finalizes on first use, but cannot train without an optimizer
    with pytest.raises(ValueError, match="BinaryCrossentropy cannot follow a Softmax output "
                                         "layer; expected the last layer to be one of: Sigmoid"):
        model.set(loss=sq.BinaryCrossentropy())
    step_model = sq.Model()
    step_model.add(sq.Dense(2, 1))
    step_model.add(sq.Step())
    with pytest.raises(ValueError, match="cannot follow a Step"):
        step_model.set(loss=sq.MeanSquaredError())
    with pytest.raises(TypeError, match="optimizer must be a squareone Optimizer or one of "
                                        "'sgd', 'adagrad', 'rmsprop', 'adam', got int"):
        model.set(optimizer=42)
    with pytest.raises(TypeError, match="Model.add expects a squareone layer"):
        model.add(lambda x: x)
    with pytest.raises(ValueError, match="no layers"):
        sq.Model().finalize()


@pytest.mark.parametrize("kwargs, fragment", [
    ({"epochs": 0}, "epochs must be a positive integer"),
    ({"batch_size": -5}, "batch_size must be a positive integer"),
    ({"validation_split": 1.5}, "validation_split must be in"),
    ({"validation_split": 0.1, "validation_data": ([[0, 0]], [0])}, "not both"),
])
def test_bad_training_arguments(spiral, kwargs, fragment):
    X, y = spiral
    with pytest.raises(ValueError, match=fragment):
        classifier().train(X, y, verbose=0, **kwargs)


def _diverging_regression():
    X = np.linspace(-1, 1, 64, dtype=np.float32).reshape(-1, 1) * 1e3
    model = sq.Model()
    model.add(sq.Dense(1, 8, weight_init="he", seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(8, 1, weight_init="he", seed=1))
    model.add(sq.Linear())
    model.set(loss=sq.MeanSquaredError(), optimizer=sq.SGD(learning_rate=1e-6))
    model.finalize()
    return model, X, 1e3 * X


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
def test_a_diverging_loss_stops_training_and_restores_the_epochs_starting_parameters():
    model, X, y = _diverging_regression()
    with pytest.raises(sq.TrainingDivergedError, match=r"at epoch \d+, step \d+") as error:
        model.train(X, y, epochs=50, batch_size=16, verbose=0)
    epoch, step = map(int, re.search(r"epoch (\d+), step (\d+)", str(error.value)).groups())
    assert epoch > 1 or step > 1, "the test needs a few finite steps before the divergence"
    parameters = [p for w_b in model.get_parameters() for p in w_b]
    assert all(np.isfinite(p).all() for p in parameters)
    assert np.isfinite(model.predict(X)).all()
    # The same model trained for the epochs before the diverging one has these parameters.
    reference, _, _ = _diverging_regression()
    if epoch > 1:
        reference.train(X, y, epochs=epoch - 1, batch_size=16, verbose=0)
    for (w, b), (w_ref, b_ref) in zip(model.get_parameters(), reference.get_parameters()):
        np.testing.assert_array_equal(w, w_ref)
        np.testing.assert_array_equal(b, b_ref)


class _InterruptAt(sq.layers.Layer):
    """Identity layer that presses Ctrl-C (sends SIGINT) on its n-th training forward pass."""

    def __init__(self, call):
        self.call, self.calls = call, 0

    def forward(self, inputs, training=False):
        if training:
            self.calls += 1
            if self.calls == self.call:
                os.kill(os.getpid(), signal.SIGINT)
        self.output = inputs
        return inputs

    def backward(self, dvalues):
        self.dinputs = dvalues
        return dvalues


def test_ctrl_c_stops_after_the_current_step(spiral):
    X, y = spiral
    model = sq.Model()
    model.add(sq.Dense(2, 8, seed=0))
    model.add(_InterruptAt(call=7))
    model.add(sq.ReLU())
    model.add(sq.Dense(8, 3, seed=1))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam())
    model.finalize()
    history = model.train(X, y, epochs=10, batch_size=100, verbose=0)  # 3 steps an epoch
    assert history.interrupted
    assert len(history) == 2  # two full epochs, stopped in the third
    assert model.optimizer.iterations == 7  # the interrupted step was completed
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_verbose_training_prints_book_style_summaries(spiral, capsys):
    X, y = spiral
    classifier().train(X, y, epochs=4, print_every=2, validation_data=(X, y))
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch: 1", "epoch: 2", "epoch: 4"]
    assert "validation acc:" in lines[-1] and "lr: 0.02" in lines[-1]


@settings(max_examples=25, deadline=None)
@given(samples=st.integers(1, 20), features=st.integers(1, 6), hidden=st.integers(1, 8),
       classes=st.integers(2, 5), batch=st.integers(1, 25))
def test_random_shapes_train_and_predict(samples, features, hidden, classes, batch):
    rng = np.random.default_rng(samples * 7 + features)
    model = sq.Model()
    model.add(sq.Dense(features, hidden, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(hidden, classes, seed=1))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam())
    model.finalize()
    X, y = rng.normal(size=(samples, features)), rng.integers(0, classes, size=samples)
    history = model.train(X, y, epochs=2, batch_size=batch, verbose=0)
    assert np.isfinite(history.loss).all()
    assert model.predict(X, batch_size=batch).shape == (samples, classes)
    with pytest.raises(ValueError, match=f"features per sample but the first layer expects "
                                         f"{features}"):
        model.predict(rng.normal(size=(samples, features + 1)))


def test_predict_classes_and_predict_proba(spiral):
    X, y = spiral
    model = classifier()
    model.train(X, y, epochs=30, verbose=0)
    probabilities = model.predict_proba(X)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(model.predict_classes(X, batch_size=64),
                                  np.argmax(probabilities, axis=1))


def test_evaluate_can_report_per_class_metrics(spiral):
    X, y = spiral
    model = classifier()
    model.train(X, y, epochs=50, verbose=0)
    result = model.evaluate(X, y, report=True, class_names=["a", "b", "c"])
    predicted = model.predict_classes(X)
    expected = np.zeros((3, 3), dtype=int)
    np.add.at(expected, (y, predicted), 1)  # rows: true class, columns: predicted
    np.testing.assert_array_equal(result["confusion_matrix"], expected)
    assert np.trace(expected) / len(y) == pytest.approx(result["accuracy"])
    lines = result["report"].splitlines()
    assert any(line.split()[:1] == ["a"] for line in lines)
    assert "accuracy" in result["report"] and "macro avg" in result["report"]


def _wide_input_classifier():
    """Dense(20, 4) first: predict checks that layer's outputs for NaN/inf instead of X."""
    model = sq.Model()
    model.add(sq.Dense(20, 4, weight_init="he", seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(4, 3, weight_init="he", seed=1))
    model.add(sq.Softmax())
    model.finalize()
    return model


@pytest.mark.parametrize("make_model, n_features", [(_wide_input_classifier, 20),
                                                     (classifier, 2)])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("batch_size", [None, 7])
def test_predict_refuses_nan_and_inf_in_any_position_without_warnings(make_model, n_features,
                                                                       bad, batch_size):
    model = make_model()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, n_features)).astype(np.float32)
    # A zero weight column must not hide an infinity (inf * 0 is NaN, still caught).
    model.layers[0].weights[:, 0] = 0
    for row, column in [(0, 0), (29, n_features - 1), (13, n_features // 2)]:
        X_bad = X.copy()
        X_bad[row, column] = bad
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match="X contains 1 NaN or infinite value"):
                model.predict(X_bad, batch_size=batch_size)
    np.testing.assert_allclose(model.predict(X, batch_size=batch_size), model.forward(X),
                               rtol=1e-6, atol=1e-7)
