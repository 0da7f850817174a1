"""The book's signatures on the aliases: every class, method, argument and attribute its
chapter scripts use, with the book's meaning, and book mode's effect on what is printed."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import require_extra

import squareone as sq
from squareone.nnfs import (
    Accuracy_Categorical,
    Activation_ReLU,
    Activation_Sigmoid,
    Activation_Softmax,
    Activation_Softmax_Loss_CategoricalCrossentropy,
    Layer_Dense,
    Layer_Dropout,
    Loss_CategoricalCrossentropy,
    Model,
    Optimizer_Adam,
    randn,
)


def test_every_name_the_chapter_scripts_define_is_exported():
    # The classes the scripts of chapters 2-22 define (Layer_Input is internal to the book's
    # Model and never used by a script).
    names = ["Layer_Dense", "Layer_Dropout", "Activation_ReLU", "Activation_Softmax",
             "Activation_Sigmoid", "Activation_Linear", "Loss", "Loss_CategoricalCrossentropy",
             "Loss_BinaryCrossentropy", "Loss_MeanSquaredError", "Loss_MeanAbsoluteError",
             "Activation_Softmax_Loss_CategoricalCrossentropy", "Optimizer_SGD",
             "Optimizer_Adagrad", "Optimizer_RMSprop", "Optimizer_Adam", "Accuracy",
             "Accuracy_Categorical", "Accuracy_Regression", "Model"]
    namespace = {}
    exec("from squareone.nnfs import *", namespace)
    for name in names:
        assert name in namespace, name
    assert "randn" in namespace and "init" in namespace


def test_accuracy_categorical_binary_compares_value_by_value():
    predictions = np.array([[1], [0], [1], [1]])
    y = np.array([[1], [0], [0], [1]])
    assert Accuracy_Categorical(binary=True).calculate(predictions, y) == 0.75
    # Without binary, 2-D targets are one-hot rows (a single column: all class 0).
    assert Accuracy_Categorical().calculate(np.array([0, 0, 1, 0]), y) == 0.75
    with pytest.raises(TypeError, match="binary must be True or False, got 'yes'"):
        Accuracy_Categorical(binary="yes")


def test_binary_accuracy_is_saved_and_restored(tmp_path):
    model = sq.Model()
    model.add(sq.Dense(2, 4, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(4, 1, seed=1))
    model.add(sq.Sigmoid())
    model.set(loss=sq.BinaryCrossentropy(), optimizer=sq.Adam(),
              accuracy=Accuracy_Categorical(binary=True))
    model.finalize()
    model.save(tmp_path / "binary.squareone")
    loaded = sq.Model.load(tmp_path / "binary.squareone")
    assert loaded.accuracy.binary is True


def test_layer_get_and_set_parameters():
    layer = Layer_Dense(3, 2, seed=0)
    weights, biases = layer.get_parameters()
    assert weights is layer.weights and biases is layer.biases
    layer.set_parameters(np.ones((3, 2)), np.full((1, 2), 0.5))
    np.testing.assert_array_equal(layer.forward(np.ones((1, 3))), [[3.5, 3.5]])
    assert layer.weights.dtype == np.float32
    with pytest.raises(ValueError, match=r"weights for Dense\(3, 2\) must have shape \(3, 2\), "
                                         r"got \(2, 3\)"):
        layer.set_parameters(np.ones((2, 3)), np.zeros((1, 2)))


def _spiral_model():
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    model = Model()
    model.add(Layer_Dense(2, 16))
    model.add(Activation_ReLU())
    model.add(Layer_Dropout(0.1))
    model.add(Layer_Dense(16, 3))
    model.add(Activation_Softmax())
    model.set(loss=Loss_CategoricalCrossentropy(),
              optimizer=Optimizer_Adam(learning_rate=0.05, decay=5e-5),
              accuracy=Accuracy_Categorical())
    model.finalize()
    return model, X, y


def test_layer_set_parameters_reaches_a_finalized_model():
    model, X, y = _spiral_model()
    before = model.predict(X)
    first = model.trainable_layers[0]
    first.set_parameters(np.zeros_like(first.weights), np.zeros_like(first.biases))
    assert model.parameter_vector.values[:first.weights.size].max() == 0
    assert not np.array_equal(model.predict(X), before)


def test_book_mode_training_prints_the_books_lines(capsys):
    model, X, y = _spiral_model()
    model.train(X, y, validation_data=(X, y), epochs=200, print_every=100)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch: 100, acc: ")
    # The learning rate in full, as the book prints it, after 100 steps of decay 5e-5.
    assert lines[0].endswith("), lr: 0.04975371909050202")
    assert "(data_loss: " in lines[0] and ", reg_loss: " in lines[0]
    assert lines[1].startswith("epoch: 200, acc: ")
    assert lines[2].startswith("validation, acc: ") and ", loss: " in lines[2]


def test_evaluate_prints_the_books_line_in_book_mode(capsys):
    model, X, y = _spiral_model()
    result = model.evaluate(X, y, batch_size=64)
    assert capsys.readouterr().out == (f"validation, acc: {result['accuracy']:.3f}, "
                                       f"loss: {result['loss']:.3f}\n")
    sq.nnfs.reset()
    assert model.evaluate(X, y, batch_size=64) == pytest.approx(result)
    assert capsys.readouterr().out == ""


def test_outside_book_mode_training_prints_squareones_lines(capsys):
    model, X, y = _spiral_model()
    sq.nnfs.reset()
    model.train(X, y, validation_data=(X, y), epochs=2, print_every=100)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch: 1", "epoch: 2"]
    assert "validation acc: " in lines[0]


def test_model_parameters_files_and_predictions(tmp_path):
    model, X, y = _spiral_model()
    model.train(X, y, epochs=5, verbose=0)
    parameters = model.get_parameters()
    probabilities = model.predict(X, batch_size=7)
    assert probabilities.shape == (300, 3)
    classes = model.output_layer_activation.predictions(probabilities)
    np.testing.assert_array_equal(classes, np.argmax(probabilities, axis=1))
    model.save_parameters(tmp_path / "spiral.parameters")
    model.save(tmp_path / "spiral.model")
    model.set_parameters([(w * 0, b * 0) for w, b in parameters])
    assert not np.allclose(model.predict(X), probabilities)
    model.load_parameters(tmp_path / "spiral.parameters")
    np.testing.assert_array_equal(model.predict(X), probabilities)
    model.set_parameters(parameters)
    np.testing.assert_array_equal(model.predict(X), probabilities)
    loaded = Model.load(tmp_path / "spiral.model")
    np.testing.assert_array_equal(loaded.predict(X), probabilities)
    assert loaded.optimizer.book_arithmetic is True  # it resumes as it trained


def test_the_fused_class_has_the_books_parts():
    sq.nnfs.init()
    loss_activation = Activation_Softmax_Loss_CategoricalCrossentropy()
    layer = Layer_Dense(2, 3, weight_regularizer_l2=0.5)
    expected = 0.5 * float(np.sum(layer.weights.astype(np.float64) ** 2))
    assert loss_activation.loss.regularization_loss(layer) == pytest.approx(expected, rel=1e-6)
    loss = loss_activation.forward(np.zeros((4, 3), dtype=np.float32), np.array([0, 1, 2, 0]))
    assert loss.dtype == np.float32 and str(loss) == "1.0986123"
    np.testing.assert_array_equal(loss_activation.activation.output, np.full((4, 3), 1 / 3,
                                                                             dtype=np.float32))


def test_loss_calculate_returns_a_scalar_of_the_outputs_dtype():
    y = np.array([0, 1])
    for dtype in (np.float32, np.float64):
        output = np.array([[0.7, 0.3], [0.4, 0.6]], dtype=dtype)
        loss = Loss_CategoricalCrossentropy().calculate(output, y)
        assert loss.dtype == dtype
        assert loss == pytest.approx(-(np.log(0.7) + np.log(0.6)) / 2, rel=1e-6)


def test_dropout_drops_by_default_only_in_book_mode():
    x = np.ones((100, 50), dtype=np.float32)
    sq.nnfs.init()
    dropped = Layer_Dropout(0.5).forward(x)
    assert 0.3 < np.mean(dropped == 0) < 0.7
    assert set(np.unique(dropped)) == {0.0, 2.0}
    assert np.array_equal(Layer_Dropout(0.5).forward(x, training=False), x)
    sq.nnfs.reset()
    assert np.array_equal(Layer_Dropout(0.5).forward(x), x)


def test_randn_draws_float32_from_the_books_stream():
    sq.nnfs.init(seed=4)
    draws = randn(2, 3)
    expected = np.random.RandomState(4).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_array_equal(draws, expected)
    assert draws.dtype == np.float32
    sq.nnfs.reset()
    assert randn(5).shape == (5,) and randn(5).dtype == np.float32
    with pytest.raises(ValueError, match="randn"):
        randn(0, 3)
    with pytest.raises(ValueError, match="randn's shape must be a positive integer, got 2.5"):
        randn(2.5)


def test_init_checks_its_arguments():
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        sq.nnfs.init(seed=-1)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got '0'"):
        sq.nnfs.init(seed="0")


def _book_adam_reference(param, grads, learning_rate, decay):
    """Adam as the book writes it, in float64, one scalar formula at a time."""
    param = param.astype(np.float64)
    m = np.zeros_like(param)
    c = np.zeros_like(param)
    for t, grad in enumerate(grads, start=1):
        rate = learning_rate * (1.0 / (1.0 + decay * (t - 1)))
        m = 0.9 * m + 0.1 * grad
        c = 0.999 * c + 0.001 * grad ** 2
        param = param - rate * (m / (1 - 0.9 ** t)) / (np.sqrt(c / (1 - 0.999 ** t)) + 1e-7)
    return param


def test_book_adam_follows_the_books_formulas():
    rng = np.random.default_rng(0)
    start = rng.standard_normal((4, 3)).astype(np.float32)
    grads = [rng.standard_normal((4, 3)).astype(np.float32) for _ in range(5)]
    expected = _book_adam_reference(start, grads, 0.05, 1e-3)
    for book_arithmetic in (True, False):
        optimizer = sq.Adam(learning_rate=0.05, decay=1e-3, book_arithmetic=book_arithmetic)
        param = start.copy()
        for grad in grads:
            optimizer.pre_update_params()
            optimizer.update(param, grad, optimizer.state_for(param))
            optimizer.post_update_params()
        np.testing.assert_allclose(param, expected, rtol=1e-5, atol=1e-6)
    assert sq.Adam().book_arithmetic is False
    sq.nnfs.init()
    assert sq.Adam().book_arithmetic is True and sq.Adam().config()["book_arithmetic"]
    with pytest.raises(TypeError, match="book_arithmetic must be True, False or None"):
        sq.Adam(book_arithmetic="yes")


_NNFS_CHILD = textwrap.dedent("""
    # The book's arithmetic as nnfs.init() sets it up, written out for this test: a 2-64-3
    # network on spiral data, three steps of plain gradient descent.
    import sys
    import numpy as np
    import nnfs
    from nnfs.datasets import spiral_data

    nnfs.init()
    X, y = spiral_data(samples=100, classes=3)
    w1, b1 = 0.01 * np.random.randn(2, 64), np.zeros((1, 64))
    w2, b2 = 0.01 * np.random.randn(64, 3), np.zeros((1, 3))
    arrays = {}
    for step in range(3):
        z1 = np.dot(X, w1) + b1
        a1 = np.maximum(0, z1)
        z2 = np.dot(a1, w2) + b2
        e = np.exp(z2 - np.max(z2, axis=1, keepdims=True))
        p = e / np.sum(e, axis=1, keepdims=True)
        d2 = p.copy()
        d2[range(len(p)), y] -= 1
        d2 = d2 / len(p)
        dw2, db2 = np.dot(a1.T, d2), np.sum(d2, axis=0, keepdims=True)
        da1 = np.dot(d2, w2.T)
        da1[z1 <= 0] = 0
        dw1, db1 = np.dot(X.T, da1), np.sum(da1, axis=0, keepdims=True)
        arrays.update({f"z2_{step}": z2, f"dw1_{step}": dw1, f"db1_{step}": db1,
                       f"dw2_{step}": dw2, f"db2_{step}": db2})
        w1 += -1.0 * dw1
        b1 += -1.0 * db1
        w2 += -1.0 * dw2
        b2 += -1.0 * db2
    np.savez(sys.argv[1], **arrays)
""")


def test_book_mode_matches_the_real_nnfs_package_bit_for_bit(tmp_path):
    require_extra("nnfs", "test")
    reference = tmp_path / "nnfs.npz"
    subprocess.run([sys.executable, "-c", _NNFS_CHILD, str(reference)], check=True,
                   timeout=120)
    expected = np.load(reference)
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    dense1, activation1, dense2 = Layer_Dense(2, 64), Activation_ReLU(), Layer_Dense(64, 3)
    loss_activation = Activation_Softmax_Loss_CategoricalCrossentropy()
    optimizer = sq.SGD(learning_rate=1.0)
    for step in range(3):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        loss_activation.forward(dense2.output, y)
        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        for name, actual in (("z2", dense2.output), ("dw1", dense1.dweights),
                             ("db1", dense1.dbiases), ("dw2", dense2.dweights),
                             ("db2", dense2.dbiases)):
            np.testing.assert_array_equal(actual, expected[f"{name}_{step}"],
                                          err_msg=f"{name} at step {step}")
        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.post_update_params()


def test_sigmoid_alias_predictions_match_the_books_rule():
    outputs = np.array([[0.2], [0.5], [0.51]], dtype=np.float32)
    np.testing.assert_array_equal(Activation_Sigmoid().predictions(outputs), [[0], [0], [1]])
