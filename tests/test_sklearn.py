"""squareone.sklearn: scikit-learn's estimator checks, pipelines, searches, labels, pickling.

``check_estimator`` runs on both estimators with no check expected to fail and none skipped:
it runs in a subprocess with ``SCIPY_ARRAY_API=1`` (read when SciPy is first imported), so that
the array API check runs too, and it needs pandas for the checks on data frames. The grid search
on 5,000 Fashion-MNIST images gives the accuracy the README quotes.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO_ROOT, real_data, require_extra

import squareone as sq

CHECKS_SCRIPT = """
import json
from sklearn.utils.estimator_checks import check_estimator
from squareone import sklearn as estimators

results = {}
for name in ("NeuralNetworkClassifier", "NeuralNetworkRegressor"):
    rows = check_estimator(getattr(estimators, name)(),
                           expected_failed_checks=estimators.EXPECTED_FAILED_CHECKS,
                           on_fail=None, on_skip=None)
    results[name] = [{"check": row["check_name"], "status": row["status"],
                      "error": repr(row["exception"])[:1000]} for row in rows]
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def estimators():
    require_extra("sklearn", "sklearn")
    from squareone import sklearn as module

    return module


@pytest.fixture(scope="module")
def iris():
    datasets = require_extra("sklearn.datasets", "sklearn")
    return datasets.load_iris(return_X_y=True)


def test_import_squareone_needs_no_sklearn():
    code = ("import sys; sys.modules['sklearn'] = None  # as if it were not installed\n"
            "import squareone, squareone.cli\n"
            "try:\n    import squareone.sklearn\n"
            "except ImportError as error:\n    print(error)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "squareone.sklearn needs sklearn, which is not installed: pip install " \
           "squareone[sklearn]" in result.stdout


def test_both_estimators_pass_check_estimator(estimators):
    require_extra("pandas", "test")  # the checks on data frames need it
    assert estimators.EXPECTED_FAILED_CHECKS == {}  # none: every check must pass
    env = dict(os.environ, SCIPY_ARRAY_API="1", OPENBLAS_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", CHECKS_SCRIPT], capture_output=True,
                            text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads(result.stdout.strip().splitlines()[-1])
    for name, rows in results.items():
        not_passed = [row for row in rows if row["status"] != "passed"]
        assert not not_passed, f"{name}: {not_passed}"
        checks = {row["check"] for row in rows}
        assert len(checks) > 40, checks
        assert {"check_estimators_pickle", "check_fit_idempotent", "check_array_api_input",
                "check_n_features_in_after_fitting", "check_methods_subset_invariance",
                "check_estimators_partial_fit_n_features"} <= checks
    assert {"check_classifiers_classes", "check_classifiers_train",
            "check_classifier_data_not_an_array"} <= {
        row["check"] for row in results["NeuralNetworkClassifier"]}
    assert {"check_regressors_train", "check_regressor_multioutput"} <= {
        row["check"] for row in results["NeuralNetworkRegressor"]}


def test_a_pipeline_with_a_scaler_cross_validates(estimators, iris):
    pipeline = require_extra("sklearn.pipeline", "sklearn")
    preprocessing = require_extra("sklearn.preprocessing", "sklearn")
    model_selection = require_extra("sklearn.model_selection", "sklearn")
    X, y = iris
    classifier = pipeline.make_pipeline(
        preprocessing.StandardScaler(),
        estimators.NeuralNetworkClassifier(hidden_layer_sizes=(16,), learning_rate=0.01,
                                           epochs=100, random_state=0))
    scores = model_selection.cross_val_score(classifier, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85, scores


def test_clone_copies_the_parameters_and_not_the_fit(estimators, iris):
    base = require_extra("sklearn.base", "sklearn")
    X, y = iris
    fitted = estimators.NeuralNetworkClassifier(hidden_layer_sizes=(8, 4), dropout=0.1,
                                                epochs=3, random_state=1).fit(X, y)
    copy = base.clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "model_") and not hasattr(copy, "classes_")


@pytest.mark.parametrize("labels", [np.array(["setosa", "versicolor", "virginica"]),
                                    np.array([3, 10, 42]), np.array([-5, 0, 7])])
def test_any_labels_come_back_as_given(estimators, iris, labels):
    X, ids = iris
    y = labels[ids]
    classifier = estimators.NeuralNetworkClassifier(hidden_layer_sizes=(16,), learning_rate=0.01,
                                                    epochs=100, random_state=0).fit(X, y)
    np.testing.assert_array_equal(classifier.classes_, np.sort(labels))
    predicted = classifier.predict(X)
    assert predicted.dtype == y.dtype and set(predicted) <= set(labels)
    probabilities = classifier.predict_proba(X)
    assert probabilities.shape == (150, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-9)
    np.testing.assert_array_equal(classifier.classes_[probabilities.argmax(axis=1)], predicted)
    assert classifier.score(X, y) == np.mean(predicted == y) > 0.8
    assert classifier.n_features_in_ == 4


def test_the_estimator_is_the_model_it_describes(estimators, iris):
    X, y = iris
    classifier = estimators.NeuralNetworkClassifier(hidden_layer_sizes=(16, 8), activation="tanh",
                                                    l2=1e-4, dropout=0.2, epochs=5,
                                                    optimizer="rmsprop", learning_rate=0.01,
                                                    decay=1e-3, random_state=0).fit(X, y)
    model = classifier.model_
    assert [(layer.n_inputs, layer.n_neurons) for layer in model.trainable_layers] == [
        (4, 16), (16, 8), (8, 3)]
    assert [type(layer.activation).__name__ for layer in model.trainable_layers] == [
        "Tanh", "Tanh", "Softmax"]
    assert [layer.rate for layer in model.layers if isinstance(layer, sq.Dropout)] == [0.2, 0.2]
    assert model.layers[0].weight_regularizer_l2 == 1e-4 and model.layers[0].weight_init == \
        "glorot"
    assert isinstance(model.optimizer, sq.RMSprop)
    assert model.optimizer.learning_rate == 0.01 and model.optimizer.decay == 1e-3
    assert model.dtype == np.float64
    assert len(classifier.history_) == 5
    # batch_size None: min(200, n_samples) = all 150 samples, one step per epoch
    assert model.optimizer.iterations == 5


def test_random_state_fixes_everything(estimators, iris):
    X, y = iris

    def fit(seed):
        return estimators.NeuralNetworkClassifier(hidden_layer_sizes=(8,), dropout=0.2,
                                                  batch_size=32, validation_split=0.2,
                                                  epochs=5, random_state=seed).fit(X, y)

    first, again, other = fit(0), fit(0), fit(1)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    assert first.history_.val_loss == again.history_.val_loss
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))
    assert len(first.history_.val_loss) == 5  # validation after every epoch
    assert first.model_.optimizer.iterations == 5 * 4  # 120 training samples in batches of 32


def test_partial_fit_trains_one_epoch_per_call(estimators, iris):
    X, y = iris
    classifier = estimators.NeuralNetworkClassifier(hidden_layer_sizes=(8,), random_state=0)
    classifier.partial_fit(X[:50], y[:50], classes=[0, 1, 2])  # the first batch: class 0 only
    classifier.partial_fit(X[50:], y[50:])
    assert len(classifier.history_) == 2 and classifier.history_.epoch == [1, 2]
    np.testing.assert_array_equal(classifier.classes_, [0, 1, 2])
    assert classifier.predict_proba(X).shape == (150, 3)
    with pytest.raises(ValueError, match=r"y holds labels \[7\] that are not among classes_ "
                                         r"\[0, 1, 2\]"):
        classifier.partial_fit(X[:2], [0, 7])
    with pytest.raises(ValueError, match="X has 3 features, but NeuralNetworkClassifier is "
                                         "expecting 4 features"):
        classifier.partial_fit(X[:, :3], y)


def test_pickling_stores_a_model_file_and_training_resumes_exactly(estimators, iris):
    X, y = iris
    fitted = estimators.NeuralNetworkClassifier(hidden_layer_sizes=(8,), batch_size=50,
                                                epochs=3, random_state=0).fit(X, y)
    data = pickle.dumps(fitted)
    assert b"squareone-model" in data  # the model file's metadata, as bytes
    assert b"squareone.model.core" not in data and b"ParameterVector" not in data  # no Model
    copy = pickle.loads(data)
    np.testing.assert_array_equal(copy.predict_proba(X), fitted.predict_proba(X))
    copy.partial_fit(X, y)
    fitted.partial_fit(X, y)  # same optimizer state, same sample order: the same step
    np.testing.assert_array_equal(copy.predict_proba(X), fitted.predict_proba(X))


def test_the_regressor_fits_one_or_several_targets(estimators):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    regressor = estimators.NeuralNetworkRegressor(hidden_layer_sizes=(32, 32), learning_rate=0.01,
                                                  epochs=300, random_state=0).fit(X, y)
    assert regressor.predict(X).shape == (300,)
    assert regressor.score(X, y) > 0.95
    assert isinstance(regressor.model_.output_layer_activation, sq.Linear)
    assert isinstance(regressor.model_.loss, sq.MeanSquaredError)
    both = np.column_stack([y, -y])
    multi = estimators.NeuralNetworkRegressor(hidden_layer_sizes=(32, 32), learning_rate=0.01,
                                              epochs=300, random_state=0).fit(X, both)
    assert multi.predict(X).shape == (300, 2) and multi.score(X, both) > 0.95
    with pytest.raises(ValueError, match="fitted on 2 target"):
        multi.partial_fit(X, y)


@pytest.mark.parametrize("params, error, fragment", [
    ({"activation": "swish"}, ValueError, "activation must be one of 'relu'"),
    ({"optimizer": "adamw"}, ValueError, "optimizer must be one of 'sgd', 'adagrad', "
                                         "'rmsprop', 'adam', got 'adamw'"),
    ({"optimizer": None}, TypeError, "optimizer must be one of"),
    ({"hidden_layer_sizes": (16, 0)}, ValueError, "hidden_layer_sizes must be a positive "
                                                  "integer, got 0"),
    ({"learning_rate": 0}, ValueError, "learning_rate must be in"),
    ({"decay": -1}, ValueError, "decay must be in"),
    ({"l2": -0.1}, ValueError, "l2 must be in"),
    ({"dropout": 1.0}, ValueError, r"dropout must be in \[0.0, 1.0\)"),
    ({"epochs": 0}, ValueError, "epochs must be a positive integer"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
    ({"validation_split": 1.5}, ValueError, "validation_split must be in"),
    ({"validation_split": 0.001}, ValueError, "leaves 0 validation"),
    ({"dtype": "int8"}, TypeError, "dtype must be 'float32' or 'float64'"),
])
def test_bad_parameters_get_a_clear_error_in_fit(estimators, iris, params, error, fragment):
    X, y = iris
    classifier = estimators.NeuralNetworkClassifier(**{"epochs": 1, **params})  # no error yet
    with pytest.raises(error, match=fragment):
        classifier.fit(X, y)


def test_grid_search_on_fashion_mnist_picks_a_hidden_size(estimators):
    # The README quotes this result. 5,000 training images, 3-fold cross-validation of two
    # hidden sizes in two worker processes, then the best refitted on all 5,000; one BLAS
    # thread per process, so that the two processes do not fight over the two cores.
    model_selection = require_extra("sklearn.model_selection", "sklearn")
    threadpoolctl = require_extra("threadpoolctl", "sklearn")
    (X, y), (X_test, y_test) = sq.datasets.load_fashion_mnist(real_data("fashion-mnist"),
                                                              download=False)
    X, X_test = sq.datasets.prepare_images(X[:5000]), sq.datasets.prepare_images(X_test)
    search = model_selection.GridSearchCV(
        estimators.NeuralNetworkClassifier(epochs=10, batch_size=128, random_state=0,
                                           dtype="float32"),
        {"hidden_layer_sizes": [(64,), (128,)]}, cv=3, n_jobs=2)
    with threadpoolctl.threadpool_limits(limits=1):
        search.fit(X, y[:5000])
        test_accuracy = search.score(X_test, y_test)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_["hidden_layer_sizes"] == [(64,), (128,)][int(np.argmax(scores))]
    assert scores.min() > 0.78
    assert search.best_estimator_.model_.trainable_layers[0].n_inputs == 784
    print(f"best: {search.best_params_}, cross-validation accuracy {scores.max():.3f}, "
          f"test accuracy {test_accuracy:.4f}")
    assert 0.79 < test_accuracy < 0.83  # 0.8096 on this machine; the README quotes it
