"""The short (Keras) way of building a model: the same network as the book's way, shorter.

``Dense(n_neurons)`` with the input size inferred, ``activation=`` inside the layer,
``weight_bounds=``, names for losses, optimizers and accuracies, ``Model([...])``,
``compile``/``fit``, and models built so saved and loaded. The central claim: built with the
same seeds and sizes, the short way and the book's way are the same network, bit for bit.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import safetensors.numpy
from conftest import assert_gradients_close, numerical_gradient

import squareone as sq
from squareone.io import FORMAT_VERSION

ACTIVATION_CLASSES = {"relu": sq.ReLU, "sigmoid": sq.Sigmoid, "tanh": sq.Tanh,
                      "softmax": sq.Softmax, "linear": sq.Linear, "step": sq.Step}


@pytest.fixture(scope="module")
def spiral():
    return sq.datasets.spiral_data(samples=100, classes=3, seed=0)


def book_model(dtype="float32", seeds=(0, 1, 2)) -> sq.Model:
    model = sq.Model(dtype=dtype)
    model.add(sq.Dense(2, 64, weight_init="he", weight_regularizer_l2=5e-4,
                       bias_regularizer_l2=5e-4, seed=seeds[0]))
    model.add(sq.ReLU())
    model.add(sq.Dropout(0.1, seed=seeds[1]))
    model.add(sq.Dense(64, 3, seed=seeds[2]))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(learning_rate=0.05,
                                                                   decay=5e-5),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model


def short_model(dtype="float32", seeds=(0, 1, 2)) -> sq.Model:
    model = sq.Model([
        sq.Dense(64, activation="relu", weight_init="he", weight_regularizer_l2=5e-4,
                 bias_regularizer_l2=5e-4, seed=seeds[0]),
        sq.Dropout(0.1, seed=seeds[1]),
        sq.Dense(3, activation="softmax", seed=seeds[2]),
    ], dtype=dtype)
    model.set(loss="categorical_crossentropy", optimizer=sq.Adam(learning_rate=0.05, decay=5e-5),
              accuracy="categorical")
    return model


# --- the same network ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_short_way_trains_to_the_very_same_parameters_as_the_books(spiral, dtype):
    X, y = spiral
    book, short = book_model(dtype), short_model(dtype)
    book_history = book.train(X, y, epochs=1000, verbose=0)
    short_history = short.train(X, y, epochs=1000, verbose=0)  # finalizes here

    assert short.finalized and [layer.n_inputs for layer in short.trainable_layers] == [2, 64]
    for (book_w, book_b), (short_w, short_b) in zip(book.get_parameters(),
                                                    short.get_parameters(), strict=True):
        np.testing.assert_array_equal(short_w, book_w)
        np.testing.assert_array_equal(short_b, book_b)
    assert short_history.loss == book_history.loss
    assert short_history.accuracy == book_history.accuracy
    np.testing.assert_array_equal(short.predict(X), book.predict(X))
    assert short.evaluate(X, y) == book.evaluate(X, y)
    assert short.evaluate(X, y)["accuracy"] > 0.7  # it did learn the spiral (chance: 1/3)


def test_on_the_books_stream_the_short_way_draws_the_same_numbers(spiral):
    # Without seeds both draw from nnfs.init()'s shared stream: the book's layers when they
    # are created, the short way's when the first data builds them (after the data here too).
    results = []
    for build in (book_model, short_model):
        sq.nnfs.init()
        X, y = sq.datasets.spiral_data(samples=100, classes=3)
        model = build(seeds=(None, None, None))
        model.train(X, y, epochs=20, verbose=0)
        results.append(model.get_parameters())
    for (book_w, book_b), (short_w, short_b) in zip(*results, strict=True):
        np.testing.assert_array_equal(short_w, book_w)
        np.testing.assert_array_equal(short_b, book_b)


@pytest.mark.parametrize("weight_init", ["nnfs", "he", "glorot", "uniform", 0.1])
def test_an_inferred_layer_draws_the_weights_of_one_given_its_size(weight_init):
    inferred = sq.Dense(7, weight_init=weight_init, seed=3)
    inferred.build(5)
    given = sq.Dense(5, 7, weight_init=weight_init, seed=3)
    np.testing.assert_array_equal(inferred.weights, given.weights)
    np.testing.assert_array_equal(inferred.biases, given.biases)
    assert inferred.config() == given.config()


def test_the_softmax_inside_dense_is_fused_with_crossentropy(spiral):
    model = short_model()
    model.finalize(input_size=2)
    assert isinstance(model.output_layer_activation, sq.Softmax)
    assert model.output_layer_activation is model.layers[-1].activation
    assert isinstance(model._softmax_classifier_output, sq.SoftmaxCategoricalCrossentropy)
    assert model.predict_classes(spiral[0][:5]).shape == (5,)


def test_dense_with_an_activation_is_dense_then_that_activation():
    rng = np.random.default_rng(0)
    X, upstream = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    for name, cls in ACTIVATION_CLASSES.items():
        if name == "step":
            continue  # no gradient (tested below)
        fused = sq.Dense(4, 3, activation=name, seed=1, dtype="float64")
        plain, activation = sq.Dense(4, 3, seed=1, dtype="float64"), cls()
        np.testing.assert_array_equal(fused.forward(X), activation.forward(plain.forward(X)))
        np.testing.assert_array_equal(fused.backward(upstream),
                                      plain.backward(activation.backward(upstream)))
        np.testing.assert_array_equal(fused.dweights, plain.dweights)
        np.testing.assert_array_equal(fused.dbiases, plain.dbiases)
        assert type(fused.activation) is cls
    step = sq.Dense(4, 3, activation="step", seed=1)
    assert set(np.unique(step.forward(X))) <= {0.0, 1.0}
    with pytest.raises(TypeError, match="Step cannot be trained"):
        step.backward(upstream)


def test_the_fused_path_matches_central_differences():
    # The whole short model in float64: hidden activations inside Dense, the fused softmax +
    # cross-entropy gradient through the last Dense's own softmax.
    rng = np.random.default_rng(7)
    model = sq.Model([sq.Dense(5, activation="tanh", weight_init="he", seed=0,
                               weight_regularizer_l2=0.01),
                      sq.Dense(4, activation="sigmoid", weight_init="he", seed=1),
                      sq.Dense(3, activation="softmax", weight_init="he", seed=2)],
                     dtype="float64", input_size=4)
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    assert model._softmax_classifier_output is not None
    for layer in model.trainable_layers:
        layer.biases[:] = rng.normal(size=layer.biases.shape)
    X, y = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)

    def total_loss():
        return float(np.mean(model.loss.forward(model.forward(X), y))
                     + model.regularization_loss())

    model.backward(model.forward(X), y)
    for layer in model.trainable_layers:
        assert_gradients_close(layer.dweights.copy(), numerical_gradient(total_loss, layer.weights))
        assert_gradients_close(layer.dbiases.copy(), numerical_gradient(total_loss, layer.biases))


def test_a_dense_output_without_activation_is_a_linear_regression_output():
    X, y = sq.datasets.sine_data(200)
    model = sq.Model([sq.Dense(32, activation="tanh", seed=0), sq.Dense(1, seed=1)])
    model.set(loss="mse", optimizer=sq.Adam(learning_rate=0.01))
    history = model.train(X, y, epochs=300, verbose=0)
    assert isinstance(model.accuracy, sq.RegressionAccuracy)
    assert history.loss[-1] < history.loss[0] / 2
    np.testing.assert_array_equal(model.predict_classes(X), model.predict(X))  # the values


# --- inference of sizes ----------------------------------------------------------------------


def test_sizes_flow_from_layer_to_layer_through_activations_and_dropout():
    model = sq.Model([sq.Dense(8), sq.ReLU(), sq.Dropout(0.5), sq.Dense(16, n_inputs=8),
                      sq.Tanh(), sq.Dense(2)], input_size=5)
    model.finalize()
    dense = model.trainable_layers
    assert [(layer.n_inputs, layer.n_neurons) for layer in dense] == [(5, 8), (8, 16), (16, 2)]
    assert [layer.weights.shape for layer in dense] == [(5, 8), (8, 16), (16, 2)]
    assert [layer.inferred_inputs for layer in dense] == [True, False, True]
    assert model.predict(np.ones((3, 5))).shape == (3, 2)
    by_keyword = sq.Model(layers=[sq.Dense(8), sq.Dense(2)], dtype="float64", input_size=5)
    by_keyword.finalize()
    assert [layer.weights.shape for layer in by_keyword.trainable_layers] == [(5, 8), (8, 2)]
    assert by_keyword.trainable_layers[0].weights.dtype == np.float64


def test_an_unbuilt_layer_says_why_it_has_no_weights():
    layer = sq.Dense(4)
    assert not layer.built
    assert repr(layer) == "Dense(n_neurons=4)"
    for name in ("weights", "biases", "dweights", "dbiases"):
        with pytest.raises(AttributeError, match=f"has no {name} yet: its input size is not "
                                                 "known"):
            getattr(layer, name)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        layer.nonsense  # noqa: B018 -- other missing attributes stay plain errors


def test_a_layer_on_its_own_is_sized_by_its_first_inputs():
    layer = sq.Dense(4, seed=0)
    output = layer.forward(np.ones((3, 6), dtype=np.float32))
    assert output.shape == (3, 4) and layer.n_inputs == 6 and layer.weights.shape == (6, 4)
    np.testing.assert_array_equal(layer.weights, sq.Dense(6, 4, seed=0).weights)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(n_samples, 6\)"):
        layer.forward(np.ones((3, 5), dtype=np.float32))  # the first inputs fixed the size


@pytest.mark.parametrize("first_use", ["train", "fit", "predict", "evaluate"])
def test_the_first_data_finalizes_and_sizes_the_model(spiral, first_use):
    X, y = spiral
    model = short_model()
    assert "input size not known yet" in model.summary()
    call = getattr(model, first_use)
    call(X, y, epochs=1, verbose=0) if first_use in ("train", "fit") else (
        call(X, y) if first_use == "evaluate" else call(X))
    assert model.finalized and model.n_features == 2 and model.input_size == 2
    summary = model.summary()
    assert "Dense(n_inputs=2, n_neurons=64, activation='relu'" in summary
    assert "Dense(n_inputs=64, n_neurons=3, activation='softmax')" in summary
    assert summary.count("(n_inputs inferred)") == 2
    assert "total: 387 trainable parameters" in summary  # 2*64 + 64 + 64*3 + 3


def test_compile_finalizes_when_it_can_and_waits_for_data_when_it_cannot(spiral):
    X, y = spiral
    waiting = short_model()
    waiting.compile(loss="categorical_crossentropy", optimizer="adam")
    assert not waiting.finalized
    history = waiting.fit(X, y, epochs=2, verbose=0)
    assert isinstance(history, sq.History) and len(history) == 2
    assert isinstance(waiting.optimizer, sq.Adam) and waiting.optimizer.iterations == 2

    ready = short_model()
    ready.compile(optimizer="rmsprop", input_size=2)
    assert ready.finalized and isinstance(ready.optimizer, sq.RMSprop)
    ready = sq.Model([sq.Dense(3, activation="softmax")], input_size=2)
    ready.compile(loss="categorical_crossentropy", optimizer="sgd", accuracy="categorical")
    assert ready.finalized and ready.layers[0].weights.shape == (2, 3)


# --- names -----------------------------------------------------------------------------------


def test_names_build_the_books_classes_with_the_books_defaults():
    for name, cls in ACTIVATION_CLASSES.items():
        assert type(sq.Dense(2, activation=name).activation) is cls
        assert type(sq.Dense(2, activation=name.upper()).activation) is cls
    model = sq.Model([sq.Dense(1, activation="sigmoid")])
    for loss, cls in [("binary_crossentropy", sq.BinaryCrossentropy),
                      ("mse", sq.MeanSquaredError), ("mae", sq.MeanAbsoluteError)]:
        model.set(loss=loss)
        assert type(model.loss) is cls
    model = sq.Model([sq.Dense(3, activation="softmax")])
    model.set(loss="categorical_crossentropy")
    assert type(model.loss) is sq.CategoricalCrossentropy
    # The book's defaults: SGD and Adagrad at 1.0, RMSprop and Adam at 0.001, no decay.
    for name, cls, rate in [("sgd", sq.SGD, 1.0), ("adagrad", sq.Adagrad, 1.0),
                            ("rmsprop", sq.RMSprop, 0.001), ("adam", sq.Adam, 0.001)]:
        model.set(optimizer=name)
        assert type(model.optimizer) is cls
        assert model.optimizer.learning_rate == rate and model.optimizer.decay == 0
    for name, cls in [("categorical", sq.CategoricalAccuracy), ("binary", sq.BinaryAccuracy),
                      ("regression", sq.RegressionAccuracy)]:
        model.set(accuracy=name)
        assert type(model.accuracy) is cls
    relu = sq.ReLU()
    assert sq.Dense(2, activation=relu).activation is relu  # an instance is used as given


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: sq.Dense(2, activation="swish"), ValueError,
     "activation must be one of 'relu', 'sigmoid', 'tanh', 'softmax', 'linear', 'step' or a "
     "squareone Activation, got 'swish'"),
    (lambda: sq.Dense(2, activation=np.tanh), TypeError,
     "activation must be a squareone Activation or one of 'relu'"),
    (lambda: sq.Model().set(loss="cross_entropy"), ValueError,
     "loss must be one of 'categorical_crossentropy', 'binary_crossentropy', 'mse'.*got "
     "'cross_entropy'"),
    (lambda: sq.Model().set(optimizer="adamw"), ValueError,
     "optimizer must be one of 'sgd', 'adagrad', 'rmsprop', 'adam'"),
    (lambda: sq.Model().set(accuracy="top5"), ValueError,
     "accuracy must be one of 'categorical', 'binary', 'regression'"),
])
def test_unknown_names_list_the_known_ones(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call()


# --- weight_bounds ---------------------------------------------------------------------------


def test_weight_bounds_draw_uniformly_between_them():
    layer = sq.Dense(200, 100, weight_bounds=(-1, 1), seed=0)
    weights = layer.weights
    assert weights.min() >= -1 and weights.max() <= 1
    assert weights.min() < -0.99 and weights.max() > 0.99  # 20,000 draws reach both ends
    assert abs(weights.mean()) < 0.02 and abs(weights.var() - 1 / 3) < 0.01  # U(-1, 1)
    shifted = sq.Dense(200, 100, weight_bounds=(2, 3), seed=0).weights
    np.testing.assert_allclose(shifted, (weights + 1) / 2 + 2, atol=1e-6)
    assert layer.config()["weight_bounds"] == (-1.0, 1.0) and "weight_init" not in layer.config()
    assert not sq.Dense(2, 3, weight_bounds=(0, 1)).biases.any()


@pytest.mark.parametrize("bounds", [(1, -1), (0.5, 0.5), (np.nan, 1), (-np.inf, 1),
                                    (0, np.inf), (1,), (0, 1, 2), "ab", 3, ("a", 1)])
def test_bad_weight_bounds_are_refused(bounds):
    with pytest.raises(ValueError, match="weight_bounds must be a pair \\(low, high\\) of finite "
                                         "numbers with low < high"):
        sq.Dense(2, 3, weight_bounds=bounds)


def test_weight_bounds_and_weight_init_exclude_each_other():
    with pytest.raises(ValueError, match="pass weight_init or weight_bounds, not both"):
        sq.Dense(2, 3, weight_init="he", weight_bounds=(-1, 1))


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("args, kwargs, error, fragment", [
    ((0,), {}, ValueError, "n_neurons must be a positive integer, got 0"),
    ((-3,), {}, ValueError, "n_neurons must be a positive integer, got -3"),
    ((2.5,), {}, ValueError, "n_neurons must be a positive integer, got 2.5"),
    (("3",), {}, ValueError, "n_neurons must be a positive integer, got '3'"),
    ((True,), {}, ValueError, "n_neurons must be a positive integer, got True"),
    ((4,), {"n_inputs": 0}, ValueError, "n_inputs must be a positive integer, got 0"),
    ((1, 2, 3), {}, TypeError, r"at most two sizes, \(n_inputs, n_neurons\), got 3"),
    ((2, 3), {"n_inputs": 2}, TypeError, r"Dense got n_inputs twice: as a size \(2\)"),
    ((), {}, TypeError, "Dense needs its number of neurons"),
    ((), {"n_inputs": 4}, TypeError, "Dense needs its number of neurons"),
])
def test_bad_sizes_are_refused(args, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        sq.Dense(*args, **kwargs)


def test_every_way_of_writing_sizes_means_the_same_layer():
    expected = sq.Dense(2, 3, seed=0)
    for layer in (sq.Dense(2, n_neurons=3, seed=0), sq.Dense(3, n_inputs=2, seed=0),
                  sq.Dense(n_inputs=2, n_neurons=3, seed=0)):
        assert (layer.n_inputs, layer.n_neurons) == (2, 3)
        np.testing.assert_array_equal(layer.weights, expected.weights)


@pytest.mark.parametrize("build, error, fragment", [
    (lambda: sq.Model([sq.Dense(3), "relu"]), TypeError,
     "layers\\[1\\] must be a squareone layer or activation, got str"),
    (lambda: sq.Model(sq.Dense(3)), TypeError, "layers must be a list of squareone layers, got "
                                               "Dense"),
    (lambda: sq.Model([sq.Dense(3)], input_size=0), ValueError,
     "input_size must be a positive integer, got 0"),
    (lambda: sq.Model([sq.Dense(3)]).finalize(), ValueError,
     r"layers\[0\] Dense\(n_neurons=3\) has no input size yet: pass data to train"),
    (lambda: sq.Model([sq.Dense(2, 3)], input_size=4).finalize(), ValueError,
     r"layers\[0\] Dense\(n_inputs=2, n_neurons=3\) expects 2 inputs, but input_size gives 4"),
    (lambda: sq.Model([sq.Dense(2, 3), sq.ReLU(), sq.Dense(4, 5)]).finalize(), ValueError,
     r"layers\[2\] Dense\(n_inputs=4, n_neurons=5\) expects 4 inputs, but layers\[0\] "
     r"\(n_neurons=3\) gives 3"),
    (lambda: sq.Model([sq.Dense(3, activation="softmax")]).set(loss="mse"), ValueError,
     "MeanSquaredError cannot follow a Softmax output layer"),
])
def test_bad_models_are_refused(build, error, fragment):
    with pytest.raises(error, match=fragment):
        build()


def test_a_first_layer_that_disagrees_with_the_data_is_refused(spiral):
    X, y = spiral
    model = sq.Model([sq.Dense(8, n_inputs=3, activation="relu"),
                      sq.Dense(3, activation="softmax")])
    model.set(loss="categorical_crossentropy", optimizer="adam")
    with pytest.raises(ValueError, match="X has 2 features per sample but the first layer "
                                         "expects 3"):
        model.train(X, y, verbose=0)
    fixed = short_model()
    fixed.train(X, y, epochs=1, verbose=0)  # the first data fixed the input size at 2
    with pytest.raises(ValueError, match="X has 5 features per sample but the first layer "
                                         "expects 2"):
        fixed.predict(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"X must be 2-D, got an array of shape \(10,\)"):
        short_model().train(np.ones(10), np.zeros(10), verbose=0)


def test_predict_refuses_inf_even_when_the_first_activation_would_hide_it():
    # tanh(+-inf) is finite: the check must look before the activation inside the layer.
    model = sq.Model([sq.Dense(2, activation="tanh", seed=0), sq.Dense(1)], input_size=8)
    model.finalize()
    X = np.ones((4, 8))
    X[2, 5] = -np.inf
    with pytest.raises(ValueError, match="X contains 1 NaN or infinite"):
        model.predict(X)


# --- files ---------------------------------------------------------------------------------


def test_a_short_model_saves_and_loads_and_resumes_training(spiral, tmp_path):
    X, y = spiral
    model = sq.Model([sq.Dense(16, activation="tanh", weight_bounds=(-0.5, 0.5), seed=0),
                      sq.Dense(3, activation="softmax", seed=1)])
    model.set(loss="categorical_crossentropy", optimizer="adam")
    model.train(X, y, epochs=3, batch_size=50, verbose=0)
    path = tmp_path / "short.squareone"
    model.save(path)
    loaded = sq.Model.load(path)

    assert [layer.config() for layer in loaded.layers] == [layer.config()
                                                          for layer in model.layers]
    assert loaded.layers[0].config()["weight_bounds"] == (-0.5, 0.5)
    assert isinstance(loaded.output_layer_activation, sq.Softmax)
    assert loaded._softmax_classifier_output is not None
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    from_bytes = sq.io.model_from_bytes(sq.io.model_to_bytes(model))
    np.testing.assert_array_equal(from_bytes.predict(X), model.predict(X))
    model.train(X, y, epochs=2, batch_size=50, verbose=0)
    loaded.train(X, y, epochs=2, batch_size=50, verbose=0)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))

    with safetensors.safe_open(path, framework="np") as file:
        metadata = json.loads(file.metadata()["squareone"])
    assert metadata["format_version"] == FORMAT_VERSION == 2
    assert metadata["layers"][0]["config"] == {"n_inputs": 2, "n_neurons": 16,
                                               "activation": "tanh", "weight_bounds": [-0.5, 0.5]}


def test_a_version_1_file_still_loads(tmp_path):
    # Written as version 1 wrote it: activations as layers of their own, sizes in every Dense.
    rng = np.random.default_rng(0)
    tensors = {"layers.0.weights": rng.normal(size=(2, 4)).astype(np.float32),
               "layers.0.biases": rng.normal(size=(1, 4)).astype(np.float32),
               "layers.2.weights": rng.normal(size=(4, 3)).astype(np.float32),
               "layers.2.biases": rng.normal(size=(1, 3)).astype(np.float32)}
    metadata = {"format": "squareone-model", "format_version": 1, "squareone_version": "0.1.0",
                "dtype": "float32",
                "layers": [{"class": "Dense", "config": {"n_inputs": 2, "n_neurons": 4}},
                           {"class": "ReLU", "config": {}},
                           {"class": "Dense", "config": {"n_inputs": 4, "n_neurons": 3}},
                           {"class": "Softmax", "config": {}}],
                "loss": {"class": "CategoricalCrossentropy", "config": {}},
                "accuracy": {"class": "CategoricalAccuracy", "config": {}},
                "optimizer": None}
    path = tmp_path / "v1.squareone"
    path.write_bytes(safetensors.numpy.save(tensors,
                                            metadata={"squareone": json.dumps(metadata)}))
    model = sq.Model.load(path)
    X = rng.normal(size=(5, 2)).astype(np.float32)
    hidden = np.maximum(X @ tensors["layers.0.weights"] + tensors["layers.0.biases"], 0)
    logits = hidden @ tensors["layers.2.weights"] + tensors["layers.2.biases"]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5)
