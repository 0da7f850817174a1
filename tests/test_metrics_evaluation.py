"""Tests of the evaluation functions in squareone.metrics.

Two independent references: tiny cases worked out by hand, and scikit-learn's functions of the
same names (a test extra, not a runtime dependency: imported inside the tests that use it;
without it those tests fail).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import squareone as sq
from squareone.datasets.mnist import FASHION_MNIST_CLASSES
from squareone.metrics import (
    classification_report,
    confusion_matrix,
    evaluation_report,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_f1,
    r2_score,
)

# Random label pairs: up to 6 classes, 1 to 60 samples.
labels = st.integers(1, 6).flatmap(
    lambda n_classes: st.integers(1, 60).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n),
            st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n),
            st.just(n_classes),
        )
    )
)


# --- by hand -------------------------------------------------------------------------------------


def test_confusion_matrix_rows_are_true_classes_columns_predicted():
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 2]
    expected = [[1, 2, 0],
                [0, 1, 1],
                [0, 0, 1]]
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), expected)


def test_confusion_matrix_n_classes_keeps_unseen_classes():
    matrix = confusion_matrix([0, 1], [0, 1], n_classes=4)
    assert matrix.shape == (4, 4)
    assert matrix.sum() == 2 and matrix[3].sum() == 0


def test_confusion_matrix_accepts_one_hot_targets_and_probabilities():
    y_true = np.eye(3)[[0, 2, 1]]
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.5, 0.4, 0.1]])
    np.testing.assert_array_equal(confusion_matrix(y_true, probabilities),
                                  confusion_matrix([0, 2, 1], [0, 2, 0]))


def test_precision_recall_f1_by_hand():
    # Class 0: tp=1, fp=0, fn=2.  Class 1: tp=1, fp=2, fn=1.  Class 2: tp=1, fp=1, fn=0.
    precision, recall, f1, support = precision_recall_f1([0, 0, 0, 1, 1, 2],
                                                         [0, 1, 1, 1, 2, 2])
    np.testing.assert_allclose(precision, [1, 1 / 3, 1 / 2])
    np.testing.assert_allclose(recall, [1 / 3, 1 / 2, 1])
    np.testing.assert_allclose(f1, [2 * 1 * (1 / 3) / (1 + 1 / 3),
                                    2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2),
                                    2 * (1 / 2) * 1 / (1 / 2 + 1)])
    np.testing.assert_array_equal(support, [3, 2, 1])


def test_zero_division_gives_zero():
    # Class 1 is never predicted (precision 0/0) and class 2 never occurs (recall 0/0).
    precision, recall, f1, support = precision_recall_f1([0, 1], [0, 0], n_classes=3)
    np.testing.assert_array_equal(precision, [0.5, 0.0, 0.0])
    np.testing.assert_array_equal(recall, [1.0, 0.0, 0.0])
    np.testing.assert_allclose(f1, [2 / 3, 0.0, 0.0])
    np.testing.assert_array_equal(support, [1, 1, 0])
    assert np.isfinite(precision).all() and np.isfinite(f1).all()


def test_classification_report_by_hand():
    report = classification_report([0, 0, 1, 1], [0, 1, 1, 1], ["cat", "dog"])
    lines = report.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[2].split() == ["cat", "1.00", "0.50", "0.67", "2"]
    assert lines[3].split() == ["dog", "0.67", "1.00", "0.80", "2"]
    assert lines[5].split() == ["accuracy", "0.75", "4"]
    assert lines[6].split() == ["macro", "avg", "0.83", "0.75", "0.73", "4"]
    assert lines[7].split() == ["weighted", "avg", "0.83", "0.75", "0.73", "4"]


def test_classification_report_names_fix_the_class_count():
    report = classification_report([0, 0], [0, 0], ["a", "b", "c"])
    assert [line.split()[0] for line in report.splitlines()[2:5]] == ["a", "b", "c"]


def test_regression_metrics_by_hand():
    y_true, y_pred = [1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 3.0, 2.0]
    assert mean_squared_error(y_true, y_pred) == pytest.approx((0 + 1 + 0 + 4) / 4)
    assert mean_absolute_error(y_true, y_pred) == pytest.approx((0 + 1 + 0 + 2) / 4)
    # SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5, SS_res = 5.
    assert r2_score(y_true, y_pred) == pytest.approx(0.0)
    assert r2_score(y_true, y_true) == 1.0


def test_regression_column_and_flat_arrays_are_the_same():
    y_true = np.array([0.5, 1.5, -2.0])
    y_pred = np.array([0.0, 2.0, -1.0])
    for metric in (mean_squared_error, mean_absolute_error, r2_score):
        assert metric(y_true.reshape(-1, 1), y_pred) == metric(y_true, y_pred.reshape(-1, 1))


def test_r2_of_constant_targets():
    assert r2_score([2.0, 2.0], [2.0, 2.0]) == 1.0
    assert r2_score([2.0, 2.0], [2.0, 3.0]) == 0.0


# --- input checks --------------------------------------------------------------------------------


@pytest.mark.parametrize("y_true, y_pred, message", [
    ([0, 1, 2], [0, 1], "same number of samples"),
    ([], [], "empty"),
    ([0, -1], [0, 1], ">= 0"),
    ([0, 1], [0, 1.5], "whole-number"),
    ([0, np.nan], [0, 1], "NaN"),
    (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), "shape"),
])
def test_label_checks(y_true, y_pred, message):
    for function in (confusion_matrix, precision_recall_f1, classification_report):
        with pytest.raises(ValueError, match=message):
            function(y_true, y_pred)


def test_labels_outside_n_classes_are_rejected():
    with pytest.raises(ValueError, match="class id 3"):
        confusion_matrix([0, 3], [0, 1], n_classes=3)
    with pytest.raises(ValueError, match="class id 2"):
        classification_report([0, 2], [0, 1], ["a", "b"])


def test_non_numeric_labels_are_rejected():
    with pytest.raises(TypeError, match="numbers"):
        confusion_matrix(["a", "b"], ["a", "b"])


@pytest.mark.parametrize("y_true, y_pred, message", [
    ([1.0, 2.0], [1.0], "same number of samples"),
    ([], [], "empty"),
    ([1.0, np.inf], [1.0, 2.0], "infinite"),
    (np.zeros((3, 2)), np.zeros((3, 1)), "same shape"),
])
def test_regression_checks(y_true, y_pred, message):
    for metric in (mean_squared_error, mean_absolute_error, r2_score):
        with pytest.raises(ValueError, match=message):
            metric(y_true, y_pred)


# --- against scikit-learn ------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:A single label was found")
@settings(max_examples=25, deadline=None)
@given(labels)
def test_confusion_matrix_matches_sklearn(case):
    from sklearn import metrics as sklearn_metrics
    y_true, y_pred, n_classes = case
    expected = sklearn_metrics.confusion_matrix(y_true, y_pred, labels=range(n_classes))
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, n_classes), expected)


@settings(max_examples=25, deadline=None)
@given(labels)
def test_precision_recall_f1_matches_sklearn(case):
    from sklearn import metrics as sklearn_metrics
    y_true, y_pred, n_classes = case
    expected = sklearn_metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=range(n_classes), zero_division=0)
    for ours, theirs in zip(precision_recall_f1(y_true, y_pred, n_classes), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("digits", [2, 4])
def test_classification_report_text_matches_sklearn(digits):
    from sklearn import metrics as sklearn_metrics
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, 500)
    # Mostly right, so the scores are spread out; class 9 is never predicted (zero division).
    y_pred = np.where(rng.random(500) < 0.7, y_true, rng.integers(0, 9, 500))
    y_pred[y_pred == 9] = 8
    names = list(FASHION_MNIST_CLASSES)
    expected = sklearn_metrics.classification_report(
        y_true, y_pred, labels=range(10), target_names=names, digits=digits, zero_division=0)
    assert classification_report(y_true, y_pred, names, digits=digits) == expected


def test_classification_report_default_names_match_sklearn():
    from sklearn import metrics as sklearn_metrics
    y_true, y_pred = [0, 1, 2, 2, 1, 0, 2], [0, 2, 2, 2, 1, 1, 0]
    expected = sklearn_metrics.classification_report(y_true, y_pred, zero_division=0)
    assert classification_report(y_true, y_pred) == expected


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3).flatmap(lambda outputs: st.integers(2, 40).flatmap(
    lambda n: st.lists(st.floats(-1e3, 1e3), min_size=2 * n * outputs,
                       max_size=2 * n * outputs).map(
        lambda values: np.array(values).reshape(2, n, outputs)))))
def test_regression_metrics_match_sklearn(pair):
    from sklearn import metrics as sklearn_metrics
    y_true, y_pred = pair
    for ours, theirs in ((mean_squared_error, sklearn_metrics.mean_squared_error),
                         (mean_absolute_error, sklearn_metrics.mean_absolute_error),
                         (r2_score, sklearn_metrics.r2_score)):
        assert ours(y_true, y_pred) == pytest.approx(theirs(y_true, y_pred), rel=1e-9,
                                                     abs=1e-9)


# --- evaluation_report on trained models ---------------------------------------------------------


def _model(n_inputs: int, n_outputs: int, output, loss) -> sq.Model:
    model = sq.Model()
    model.add(sq.Dense(n_inputs, 16, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(16, n_outputs, seed=1))
    model.add(output)
    model.set(loss=loss, optimizer=sq.Adam(learning_rate=0.02))
    model.finalize()
    return model


def test_evaluation_report_of_a_classifier_is_its_classification_report():
    X, y = sq.datasets.vertical_data(50, 3, seed=0)
    model = _model(2, 3, sq.Softmax(), sq.CategoricalCrossentropy())
    model.train(X, y, epochs=20, verbose=0)
    predictions = np.argmax(model.predict(X), axis=1)
    names = ["left", "middle", "right"]
    assert evaluation_report(model, X, y, class_names=names) == classification_report(
        y, predictions, names)


def test_evaluation_report_of_a_binary_classifier():
    X, y = sq.datasets.vertical_data(50, 2, seed=0)
    model = _model(2, 1, sq.Sigmoid(), sq.BinaryCrossentropy())
    model.train(X, y.reshape(-1, 1), epochs=20, verbose=0)
    report = evaluation_report(model, X, y.reshape(-1, 1))
    predictions = (model.predict(X) > 0.5).astype(int).ravel()
    assert report == classification_report(y, predictions)


def test_evaluation_report_of_a_regression_model():
    X, y = sq.datasets.sine_data(200)
    model = _model(1, 1, sq.Linear(), sq.MeanSquaredError())
    model.train(X, y, epochs=5, verbose=0)
    report = evaluation_report(model, X, y, batch_size=64)
    outputs = model.predict(X)
    assert f"{mean_squared_error(y, outputs):.6g}" in report
    assert f"{r2_score(y, outputs):.6g}" in report
    assert "mean absolute error" in report
