"""Check the concept pages in docs/concepts against numerical derivatives and against squareone.

Every page holds one or more fenced code blocks opened with ```` ```python check ````: the page's
formulas in plain NumPy. Each test below extracts a page's blocks, runs them in a fresh
namespace, and checks them:

* derivatives against central finite differences in float64 on random inputs;
* optimizer update rules against closed forms worked out on the page;
* both against the squareone class the page's "In squareone" section names.

The remaining tests check the pages themselves: every page is linked from docs/README.md, every
relative link and anchor resolves, and every ``squareone/<module>.py`` and ``Class.method`` a page
names exists.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CONCEPTS = DOCS / "concepts"
PAGES = sorted(path.stem for path in CONCEPTS.glob("*.md"))

if str(ROOT) not in sys.path:  # run from a checkout without installing squareone
    sys.path.insert(0, str(ROOT))

from squareone.activations import ReLU, Sigmoid, Softmax  # noqa: E402
from squareone.layers import Dense, Dropout  # noqa: E402
from squareone.losses import (  # noqa: E402
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Loss,
    MeanAbsoluteError,
    MeanSquaredError,
    SoftmaxCategoricalCrossentropy,
)
from squareone.metrics import CategoricalAccuracy  # noqa: E402
from squareone.optimizers import SGD, Adagrad, Adam, RMSprop  # noqa: E402

CHECK_BLOCK = re.compile(r"^```python check[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
FENCE = re.compile(r"^```.*?^```[ \t]*$", re.MULTILINE | re.DOTALL)

# Tolerances: formula vs finite difference (truncation ~h^2, rounding ~1e-16/h), and formula
# vs squareone (the same float64 arithmetic, possibly in another order).
FD = {"rtol": 1e-6, "atol": 1e-8}
SAME = {"rtol": 1e-10, "atol": 1e-12}


def read(name: str) -> str:
    return (CONCEPTS / f"{name}.md").read_text(encoding="utf-8")


def formulas(name: str) -> dict:
    """Run the page's ```python check blocks in a fresh namespace and return it."""
    blocks = CHECK_BLOCK.findall(read(name))
    assert blocks, f"{name}.md has no ```python check block"
    namespace = {"__name__": f"docs_concepts_{name.replace('-', '_')}"}
    exec(compile("\n".join(blocks), f"docs/concepts/{name}.md", "exec"), namespace)
    return namespace


def numerical_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar function ``f`` at ``x`` (float64)."""
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        f_plus = f(x)
        x[index] = saved - h
        f_minus = f(x)
        x[index] = saved
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def vjp(forward, x: np.ndarray, dvalues: np.ndarray) -> np.ndarray:
    """Numerical gradient of sum(dvalues * forward(x)): what ``backward(dvalues)`` must return."""
    return numerical_gradient(lambda z: np.sum(dvalues * forward(z)), x)


def away_from_zero(rng, shape, low=0.05, high=2.0) -> np.ndarray:
    """Random values of random sign with |value| in [low, high] (clear of kinks at 0)."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def probabilities(rng, samples: int, classes: int) -> np.ndarray:
    logits = rng.normal(size=(samples, classes))
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def dense64(weights: np.ndarray, biases: np.ndarray, **regularizers) -> Dense:
    layer = Dense(*weights.shape, dtype="float64", seed=0, **regularizers)
    layer.weights[...] = weights
    layer.biases[...] = biases
    return layer


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


# --- the pages and the index ------------------------------------------------------------------

CHECKED: set[str] = set()


def checks(page: str):
    """Mark a test as checking ``page`` (every page must be checked by at least one test)."""
    CHECKED.add(page)
    return lambda test: test


def test_pages_exist():
    assert len(PAGES) >= 17, PAGES


@pytest.mark.parametrize("name", PAGES)
def test_page_is_linked_from_readme(name):
    readme = (DOCS / "README.md").read_text(encoding="utf-8")
    assert f"](concepts/{name}.md" in readme, f"docs/README.md does not link concepts/{name}.md"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m) for m in re.findall(r"^#{1,6}\s+(.*?)\s*$", text, re.MULTILINE)}


@pytest.mark.parametrize("path", [DOCS / "README.md", *(CONCEPTS / f"{p}.md" for p in PAGES)],
                         ids=lambda p: p.name)
def test_relative_links_resolve(path):
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # external link
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        assert linked.is_file(), f"{path.name}: broken link {target}"
        if anchor:
            assert anchor in anchors(linked), f"{path.name}: no heading for anchor {target}"


def in_squareone_section(name: str) -> str:
    text = read(name)
    match = re.search(r"^## In squareone\s*$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"{name}.md has no '## In squareone' section"
    return match.group(1)


@pytest.mark.parametrize("name", PAGES)
def test_named_code_exists(name):
    section = in_squareone_section(name)
    modules = re.findall(r"`squareone/([\w/]+)\.py`", section)
    names = re.findall(r"`([A-Z]\w*)\.(\w+)`", section)
    assert modules and names, f"{name}.md names no squareone/<module>.py and Class.method"
    imported = []
    for module in modules:
        assert (ROOT / "squareone" / f"{module}.py").is_file(), f"no squareone/{module}.py"
        imported.append(importlib.import_module("squareone." + module.replace("/", ".")))
    for class_name, attribute in names:
        owners = [getattr(m, class_name) for m in imported if hasattr(m, class_name)]
        assert owners, f"{name}.md: {class_name} is in none of {modules}"
        assert any(callable(getattr(c, attribute, None)) for c in owners), \
            f"{name}.md: {class_name}.{attribute} does not exist"


@pytest.mark.parametrize("name", PAGES)
def test_check_blocks_run(name):
    assert formulas(name)


def test_every_page_is_checked():
    assert set(PAGES) <= CHECKED, f"pages without a formula test: {set(PAGES) - CHECKED}"


# --- basics -----------------------------------------------------------------------------------


@checks("glossary")
def test_glossary(rng):
    f = formulas("glossary")
    a, b = rng.normal(size=4), rng.normal(size=4)
    assert f["dot"](a, b) == pytest.approx(np.dot(a, b))
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    np.testing.assert_allclose(f["matmul"](A, B), A @ B, **SAME)
    np.testing.assert_array_equal(f["transpose"](A), A.T)
    np.testing.assert_allclose(f["transpose"](A @ B), B.T @ A.T, **SAME)
    X, W, bias = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=(1, 2))
    np.testing.assert_allclose(f["dense_forward"](X, W, bias), dense64(W, bias).forward(X), **SAME)


@checks("backpropagation")
def test_backpropagation_single_neuron(rng):
    f = formulas("backpropagation")
    x, w, b = np.array([1.0, -2.0, 3.0]), np.array([-3.0, -1.0, 2.0]), 1.0
    assert f["neuron_forward"](x, w, b) == 6.0  # the book's example
    dweights, dinputs, dbias = f["neuron_backward"](x, w, b)
    np.testing.assert_array_equal(dweights, [1.0, -2.0, 3.0])
    np.testing.assert_array_equal(dinputs, [-3.0, -1.0, 2.0])
    assert dbias == 1.0
    for _ in range(5):
        x, w, b = rng.normal(size=3), rng.normal(size=3), rng.normal()
        if abs(np.dot(x, w) + b) < 1e-3:
            continue  # too close to ReLU's kink for a finite difference
        dvalue = rng.normal()
        dweights, dinputs, dbias = f["neuron_backward"](x, w, b, dvalue)

        def loss(x=x, w=w, b=b, dvalue=dvalue):
            return dvalue * f["neuron_forward"](x, w, b)

        np.testing.assert_allclose(dweights, numerical_gradient(lambda v: loss(w=v), w), **FD)
        np.testing.assert_allclose(dinputs, numerical_gradient(lambda v: loss(x=v), x), **FD)
        assert dbias == pytest.approx(numerical_gradient(lambda v: loss(b=v[0]), [b])[0], rel=1e-6)


@checks("backpropagation")
def test_backpropagation_dense_layer(rng):
    f = formulas("backpropagation")
    X, W, B = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=(1, 3))
    D = rng.normal(size=(6, 3))
    dweights, dbiases, dinputs = f["dense_backward"](D, X, W)
    forward = f["dense_forward"]
    np.testing.assert_allclose(dweights, vjp(lambda w: forward(X, w, B), W, D), **FD)
    np.testing.assert_allclose(dbiases, vjp(lambda b: forward(X, W, b), B, D), **FD)
    np.testing.assert_allclose(dinputs, vjp(lambda x: forward(x, W, B), X, D), **FD)
    assert dweights.shape == W.shape and dbiases.shape == B.shape and dinputs.shape == X.shape

    layer = dense64(W, B)
    np.testing.assert_allclose(layer.forward(X), forward(X, W, B), **SAME)
    np.testing.assert_allclose(layer.backward(D), dinputs, **SAME)
    np.testing.assert_allclose(layer.dweights, dweights, **SAME)
    np.testing.assert_allclose(layer.dbiases, dbiases, **SAME)


# --- activations ------------------------------------------------------------------------------


@checks("relu-derivative")
def test_relu(rng):
    f = formulas("relu-derivative")
    z, D = away_from_zero(rng, (5, 4)), rng.normal(size=(5, 4))
    dinputs = f["backward"](D, z)
    np.testing.assert_allclose(dinputs, vjp(f["forward"], z, D), **FD)
    relu = ReLU()
    np.testing.assert_array_equal(relu.forward(z), f["forward"](z))
    np.testing.assert_array_equal(relu.backward(D), dinputs)
    zeros = np.zeros((1, 3))  # the convention at the kink: derivative 0
    np.testing.assert_array_equal(f["backward"](np.ones((1, 3)), zeros), zeros)


@checks("softmax-derivative")
def test_softmax(rng):
    f = formulas("softmax-derivative")
    z, D = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    S = f["forward"](z)
    np.testing.assert_allclose(S.sum(axis=1), 1.0, **SAME)
    expected = vjp(f["forward"], z, D)
    np.testing.assert_allclose(f["backward"](D, S), expected, **FD)
    np.testing.assert_allclose(f["backward_jacobian"](D, S), expected, **FD)
    # The Jacobian entry by entry: S_ij (delta_jk - S_ik), against d S_ij / d z_ik.
    jacobian = f["jacobian"](S[0])
    for k in range(4):
        column = numerical_gradient(lambda v, k=k: f["forward"](v[None])[0][k], z[0])
        np.testing.assert_allclose(jacobian[k], column, **FD)
        np.testing.assert_allclose(jacobian[:, k], S[0] * ((np.arange(4) == k) - S[0][k]), **SAME)

    softmax = Softmax()
    np.testing.assert_allclose(softmax.forward(z.copy()), S, **SAME)
    np.testing.assert_allclose(softmax.backward(D), f["backward"](D, S), **SAME)


@checks("sigmoid")
def test_sigmoid(rng):
    f = formulas("sigmoid")
    z, D = rng.normal(scale=3, size=(5, 4)), rng.normal(size=(5, 4))
    output = f["forward"](z)
    dinputs = f["backward"](D, output)
    np.testing.assert_allclose(dinputs, vjp(f["forward"], z, D), **FD)
    assert f["backward"](np.ones(1), f["forward"](np.zeros(1)))[0] == 0.25  # the maximum
    sigmoid = Sigmoid()
    np.testing.assert_allclose(sigmoid.forward(z), output, **SAME)
    np.testing.assert_allclose(sigmoid.backward(D), dinputs, **SAME)


# --- losses and metrics -----------------------------------------------------------------------


@checks("log-and-why-the-loss-uses-it")
def test_log(rng):
    f = formulas("log-and-why-the-loss-uses-it")
    x = rng.uniform(0.1, 5.0, size=20)
    np.testing.assert_allclose(f["derivative"](x), numerical_gradient(
        lambda v: np.sum(f["forward"](v)), x), **FD)
    y_pred, k = probabilities(rng, 6, 3), rng.integers(0, 3, size=6)
    y_pred[0, k[0]] = 0.0  # clipped: -log(1e-7) instead of infinity
    losses = f["sample_loss"](y_pred, k)
    assert losses[0] == pytest.approx(-np.log(1e-7))
    np.testing.assert_allclose(CategoricalCrossentropy().forward(y_pred, k), losses, **SAME)


@checks("categorical-cross-entropy")
def test_categorical_cross_entropy(rng):
    f = formulas("categorical-cross-entropy")
    y_pred, k = probabilities(rng, 6, 4), rng.integers(0, 4, size=6)
    one_hot = np.eye(4)[k]
    np.testing.assert_allclose(f["forward"](y_pred, k), -np.log(y_pred[np.arange(6), k]), **SAME)
    for y_true in (k, one_hot):
        dinputs = f["backward"](y_pred, y_true)
        numerical = numerical_gradient(lambda p, y=y_true: np.mean(f["forward"](p, y)), y_pred)
        np.testing.assert_allclose(dinputs, numerical, **FD)
        loss = CategoricalCrossentropy()
        np.testing.assert_allclose(loss.forward(y_pred, y_true), f["forward"](y_pred, y_true),
                                   **SAME)
        assert loss.calculate(y_pred, y_true) == pytest.approx(
            np.mean(f["forward"](y_pred, y_true)), rel=1e-12)
        np.testing.assert_allclose(loss.backward(y_pred, y_true), dinputs, **SAME)


@checks("softmax-cross-entropy")
def test_softmax_cross_entropy(rng):
    f = formulas("softmax-cross-entropy")
    z, k = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    S = f["softmax"](z)
    for y_true in (k, np.eye(4)[k]):
        dinputs = f["backward"](S, y_true)
        np.testing.assert_allclose(dinputs, numerical_gradient(lambda v: f["forward"](v, k), z),
                                   **FD)
        np.testing.assert_allclose(dinputs, (S - np.eye(4)[k]) / 6, **SAME)  # (y_hat - y) / N
        loss = SoftmaxCategoricalCrossentropy()
        assert np.mean(loss.forward(z.copy(), y_true)) == pytest.approx(f["forward"](z, k),
                                                                         rel=1e-12)
        np.testing.assert_allclose(loss.backward(S, y_true), dinputs, **SAME)
    # The same as the softmax backward pass applied to the cross-entropy gradient.
    separate = formulas("softmax-derivative")["backward"](
        formulas("categorical-cross-entropy")["backward"](S, k), S)
    np.testing.assert_allclose(f["backward"](S, k), separate, **SAME)


@checks("binary-cross-entropy")
def test_binary_cross_entropy(rng):
    f = formulas("binary-cross-entropy")
    y_pred = rng.uniform(0.05, 0.95, size=(6, 3))
    for y_true in (rng.integers(0, 2, size=(6, 3)).astype(float), rng.uniform(size=(6, 3))):
        dinputs = f["backward"](y_pred, y_true)
        numerical = numerical_gradient(lambda p, y=y_true: np.mean(f["forward"](p, y)), y_pred)
        np.testing.assert_allclose(dinputs, numerical, **FD)
        loss = BinaryCrossentropy()
        np.testing.assert_allclose(loss.forward(y_pred, y_true), f["forward"](y_pred, y_true),
                                   **SAME)
        np.testing.assert_allclose(loss.backward(y_pred, y_true), dinputs, **SAME)
    # The page's remark: chained with the sigmoid derivative, (y_hat - y) / (N J).
    sigmoid = formulas("sigmoid")
    z, y_true = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 3)).astype(float)
    y_hat = sigmoid["forward"](z)
    chained = sigmoid["backward"](f["backward"](y_hat, y_true), y_hat)
    np.testing.assert_allclose(chained, (y_hat - y_true) / 18, rtol=1e-9)


@checks("mse-and-mae")
def test_mse_and_mae(rng):
    f = formulas("mse-and-mae")
    y_true = rng.normal(size=(6, 2))
    y_pred = y_true + away_from_zero(rng, (6, 2))  # no error exactly 0: MAE's kink
    for kind, loss in (("mse", MeanSquaredError()), ("mae", MeanAbsoluteError())):
        forward, backward = f[f"{kind}_forward"], f[f"{kind}_backward"]
        dinputs = backward(y_pred, y_true)
        numerical = numerical_gradient(lambda p, fw=forward: np.mean(fw(p, y_true)), y_pred)
        np.testing.assert_allclose(dinputs, numerical, **FD, err_msg=kind)
        np.testing.assert_allclose(loss.forward(y_pred, y_true), forward(y_pred, y_true), **SAME)
        np.testing.assert_allclose(loss.backward(y_pred, y_true), dinputs, **SAME, err_msg=kind)
    # The erratum: the book's sign(y - y_hat) is the negative of the true derivative.
    book = np.sign(y_true - y_pred) / 2 / 6
    np.testing.assert_allclose(book, -f["mae_backward"](y_pred, y_true), **SAME)


@checks("accuracy")
def test_accuracy(rng):
    f = formulas("accuracy")
    outputs = np.array([[0.7, 0.2, 0.1], [0.5, 0.1, 0.4], [0.02, 0.9, 0.08]])
    assert f["accuracy"](outputs, np.array([0, 1, 1])) == pytest.approx(2 / 3)
    outputs, k = probabilities(rng, 50, 4), rng.integers(0, 4, size=50)
    for y in (k, np.eye(4)[k]):
        predictions = Softmax().predictions(outputs)
        assert CategoricalAccuracy().calculate(predictions, y) == f["accuracy"](outputs, y)


# --- optimizers -------------------------------------------------------------------------------


def run_squareone(optimizer, w0: np.ndarray, b0: np.ndarray, gradient, steps: int):
    """Run ``steps`` updates of a Dense layer's weights and biases with squareone's optimizer.

    ``gradient(p)`` gives the gradient at parameter value ``p``; returns the iterates.
    """
    layer = dense64(w0, b0)
    iterates = []
    for _ in range(steps):
        layer.dweights[...] = gradient(layer.weights)
        layer.dbiases[...] = gradient(layer.biases)
        optimizer.pre_update_params()
        optimizer.update_params(layer)
        optimizer.post_update_params()
        lr = optimizer.current_learning_rate
        iterates.append((layer.weights.copy(), layer.biases.copy(), lr))
    return iterates


def quadratic(p):  # f(w) = w^2 / 2
    return p.copy()


def constant(g):
    return lambda p: np.full_like(p, g)


@checks("sgd-learning-rate-decay-momentum")
def test_sgd_closed_forms(rng):
    f = formulas("sgd-learning-rate-decay-momentum")
    lr, decay, momentum, w0, steps = 0.3, 0.1, 0.9, rng.normal(size=5), 6
    # Plain SGD on w^2/2: w_t = (1 - lr)^t w0.
    w, v = w0, np.zeros_like(w0)
    for t in range(steps):
        w, v = f["step"](w, w, v, f["learning_rate"](lr, 0.0, t))
        np.testing.assert_allclose(w, (1 - lr) ** (t + 1) * w0, **SAME)
    # With decay: w_t = w0 * prod_{s<t} (1 - lr / (1 + decay s)).
    w, v = w0, np.zeros_like(w0)
    for t in range(steps):
        w, v = f["step"](w, w, v, f["learning_rate"](lr, decay, t))
        factor = np.prod([1 - lr / (1 + decay * s) for s in range(t + 1)])
        np.testing.assert_allclose(w, factor * w0, **SAME)
    # Momentum, constant gradient g: w_t = w0 - lr g sum_{s=1}^t (1 - mu^s) / (1 - mu).
    g, w, v = 0.7, w0, np.zeros_like(w0)
    for t in range(1, steps + 1):
        w, v = f["step"](w, np.full_like(w0, g), v, lr, momentum)
        total = sum((1 - momentum**s) / (1 - momentum) for s in range(1, t + 1))
        np.testing.assert_allclose(w, w0 - lr * g * total, **SAME)


@checks("sgd-learning-rate-decay-momentum")
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_squareone(rng, momentum):
    f = formulas("sgd-learning-rate-decay-momentum")
    lr, decay, steps = 0.3, 0.1, 5
    w0, b0 = rng.normal(size=(3, 2)), rng.normal(size=(1, 2))
    ours = run_squareone(SGD(lr, decay=decay, momentum=momentum), w0, b0, quadratic, steps)
    w, vw, b, vb = w0, np.zeros_like(w0), b0, np.zeros_like(b0)
    for t in range(steps):
        eta = f["learning_rate"](lr, decay, t)
        w, vw = f["step"](w, w, vw, eta, momentum)
        b, vb = f["step"](b, b, vb, eta, momentum)
        np.testing.assert_allclose(ours[t][0], w, **SAME)
        np.testing.assert_allclose(ours[t][1], b, **SAME)
        assert ours[t][2] == pytest.approx(eta, rel=1e-12)


ADAPTIVE = {  # page -> (squareone class, hyperparameters of both)
    "adagrad": (Adagrad, {"epsilon": 1e-7}),
    "rmsprop": (RMSprop, {"rho": 0.9, "epsilon": 1e-7}),
    "adam": (Adam, {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
}


def page_steps(name: str, f: dict, w, gradient, lrs, hyper: dict):
    """Iterate the page's ``step`` with learning rates ``lrs``; return the iterates."""
    state = [np.zeros_like(w), np.zeros_like(w)]
    iterates = []
    for t, eta in enumerate(lrs):
        if name == "adam":
            w, *state = f["step"](w, gradient(w), *state, t, eta, **hyper)
        else:
            w, state[0] = f["step"](w, gradient(w), state[0], eta, **hyper)
        iterates.append(w)
    return iterates


def constant_gradient_closed_form(name: str, w0, g: float, lr: float, t: int, hyper: dict):
    """The page's closed form for ``t`` steps with a constant gradient ``g`` and no decay."""
    eps = hyper["epsilon"]
    if name == "adagrad":  # G_s = s g^2
        return w0 - lr * sum(g / (np.sqrt(s) * abs(g) + eps) for s in range(1, t + 1))
    if name == "rmsprop":  # c_s = (1 - rho^s) g^2
        rho = hyper["rho"]
        return w0 - lr * sum(g / (np.sqrt(1 - rho**s) * abs(g) + eps) for s in range(1, t + 1))
    return w0 - t * lr * g / (abs(g) + eps)  # adam: m_hat = g, c_hat = g^2 at every step


def quadratic_first_step(name: str, w0, lr: float, hyper: dict):
    """One step on w^2/2 (gradient w0), worked out by hand."""
    eps = hyper["epsilon"]
    if name == "adagrad":  # G_1 = w0^2
        return w0 - lr * w0 / (np.abs(w0) + eps)
    if name == "rmsprop":  # c_1 = (1 - rho) w0^2
        return w0 - lr * w0 / (np.sqrt(1 - hyper["rho"]) * np.abs(w0) + eps)
    return w0 - lr * w0 / (np.abs(w0) + eps)  # adam: m_hat_1 = w0, c_hat_1 = w0^2


CHECKED.update(ADAPTIVE)


@pytest.mark.parametrize("name", list(ADAPTIVE))
def test_adaptive_closed_forms(rng, name):
    f = formulas(name)
    hyper = ADAPTIVE[name][1]
    lr, w0, steps = 0.05, rng.normal(size=4), 8
    for g in (0.3, -2.0):
        iterates = page_steps(name, f, w0, constant(g), [lr] * steps, hyper)
        for t, w in enumerate(iterates, start=1):
            expected = constant_gradient_closed_form(name, w0, g, lr, t, hyper)
            np.testing.assert_allclose(w, expected, **SAME, err_msg=f"{name} g={g} t={t}")
    (w1,) = page_steps(name, f, w0, quadratic, [lr], hyper)
    np.testing.assert_allclose(w1, quadratic_first_step(name, w0, lr, hyper), **SAME)


@pytest.mark.parametrize("name", list(ADAPTIVE))
def test_adaptive_matches_squareone(rng, name):
    f = formulas(name)
    sq_class, hyper = ADAPTIVE[name]
    lr, decay, steps = 0.05, 0.1, 6
    w0, b0 = rng.normal(size=(3, 2)), rng.normal(size=(1, 2))
    sgd = formulas("sgd-learning-rate-decay-momentum")
    lrs = [sgd["learning_rate"](lr, decay, t) for t in range(steps)]
    ours = run_squareone(sq_class(lr, decay=decay, **hyper), w0, b0, quadratic, steps)
    weights = page_steps(name, f, w0, quadratic, lrs, hyper)
    biases = page_steps(name, f, b0, quadratic, lrs, hyper)
    for t in range(steps):
        np.testing.assert_allclose(ours[t][0], weights[t], **SAME, err_msg=f"{name} t={t}")
        np.testing.assert_allclose(ours[t][1], biases[t], **SAME, err_msg=f"{name} t={t}")
        assert ours[t][2] == pytest.approx(lrs[t], rel=1e-12)


# --- regularization ---------------------------------------------------------------------------


@checks("l1-l2-regularization")
def test_regularization(rng):
    f = formulas("l1-l2-regularization")
    l1, l2 = 0.3, 0.2
    W, B = away_from_zero(rng, (4, 3)), away_from_zero(rng, (1, 3))
    np.testing.assert_allclose(f["penalty_derivative"](W, l1, l2),
                               numerical_gradient(lambda w: f["penalty"](w, l1, l2), W), **FD)
    assert f["penalty_derivative"](np.zeros(1), l1, 0.0)[0] == l1  # the book's +1 at w = 0

    regularizers = {"weight_regularizer_l1": l1, "weight_regularizer_l2": l2,
                    "bias_regularizer_l1": 0.05, "bias_regularizer_l2": 0.1}
    layer = dense64(W, B, **regularizers)
    expected = f["penalty"](W, l1, l2) + f["penalty"](B, 0.05, 0.1)
    assert Loss().regularization_loss(layer) == pytest.approx(expected, rel=1e-12)

    X, D = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    layer.forward(X)
    layer.backward(D)
    np.testing.assert_allclose(layer.dweights, X.T @ D + f["penalty_derivative"](W, l1, l2),
                               **SAME)
    np.testing.assert_allclose(layer.dbiases, D.sum(axis=0, keepdims=True)
                               + f["penalty_derivative"](B, 0.05, 0.1), **SAME)


@checks("dropout")
def test_dropout(rng):
    f = formulas("dropout")
    rate = 0.3
    z, D = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    mask = (rng.random((6, 5)) < 1 - rate).astype(float)
    dinputs = f["backward"](D, mask, rate)
    np.testing.assert_allclose(dinputs, vjp(lambda v: f["forward"](v, mask, rate), z, D), **FD)
    # Scaling by 1 / (1 - q) keeps the expected value: mean output ~ mean input.
    big = np.ones(200_000)
    big_mask = (rng.random(big.shape) < 1 - rate).astype(float)
    assert np.mean(f["forward"](big, big_mask, rate)) == pytest.approx(1.0, abs=0.01)

    layer = Dropout(rate, seed=0)
    inputs = away_from_zero(rng, (200, 50))  # no zero inputs: output 0 means dropped
    output = layer.forward(inputs, training=True)
    sq_mask = (output != 0).astype(float)
    assert np.mean(sq_mask) == pytest.approx(1 - rate, abs=0.02)
    np.testing.assert_allclose(output, f["forward"](inputs, sq_mask, rate), **SAME)
    dvalues = rng.normal(size=inputs.shape)
    np.testing.assert_allclose(layer.backward(dvalues), f["backward"](dvalues, sq_mask, rate),
                               **SAME)
    np.testing.assert_array_equal(Dropout(rate, seed=0).forward(inputs, training=False), inputs)


# --- speed: the same formulas in fewer passes -------------------------------------------------


@checks("fewer-passes")
def test_fewer_passes_adam_is_the_books_adam(rng):
    f = formulas("fewer-passes")
    adam = formulas("adam")
    lr, decay, steps = 0.05, 0.01, 40
    sgd = formulas("sgd-learning-rate-decay-momentum")
    shape = (5, 3)
    w_book = w_fast = rng.normal(size=shape)
    w_fast = w_fast.copy()
    m = c = np.zeros(shape)
    m_scaled, c_scaled = np.zeros(shape), np.zeros(shape)
    gradients = [rng.normal(size=shape) * 10.0 ** rng.uniform(-3, 1) for _ in range(steps)]
    for t, g in enumerate(gradients):
        eta = sgd["learning_rate"](lr, decay, t)
        w_book, m, c = f["adam_book"](w_book, g, m, c, t, eta)
        w_fast, m_scaled, c_scaled = f["adam_fewer_passes"](w_fast, g, m_scaled, c_scaled, t, eta)
        np.testing.assert_allclose(w_fast, w_book, **SAME, err_msg=f"step {t}")
        np.testing.assert_allclose(m_scaled * (1 - 0.9), m, **SAME)
        np.testing.assert_allclose(c_scaled * (1 - 0.999), c, **SAME)
    # The page's book step is the Adam page's step, and squareone's Adam matches both.
    w_adam_page, state = gradients[0].copy(), [np.zeros(shape), np.zeros(shape)]
    w_adam_page, *state = adam["step"](w_adam_page, gradients[1], *state, 0, lr)
    w_here = f["adam_book"](gradients[0].copy(), gradients[1], np.zeros(shape), np.zeros(shape),
                            0, lr)[0]
    np.testing.assert_allclose(w_here, w_adam_page, **SAME)
    w0, b0 = rng.normal(size=(3, 2)), rng.normal(size=(1, 2))
    ours = run_squareone(Adam(lr, decay=decay), w0, b0, quadratic, 6)
    w, m, c = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t in range(6):
        w, m, c = f["adam_fewer_passes"](w, quadratic(w), m, c, t,
                                         sgd["learning_rate"](lr, decay, t))
        np.testing.assert_allclose(ours[t][0], w, **SAME, err_msg=f"squareone step {t}")


@checks("fewer-passes")
def test_fewer_passes_bias_sums_and_finite_check(rng):
    f = formulas("fewer-passes")
    D = rng.normal(size=(7, 4))
    np.testing.assert_allclose(f["column_sums"](D), D.sum(axis=0, keepdims=True), **SAME)
    layer = dense64(rng.normal(size=(3, 4)), rng.normal(size=(1, 4)))
    layer.forward(rng.normal(size=(7, 3)))
    layer.backward(D)
    np.testing.assert_allclose(layer.dbiases, f["column_sums"](D), **SAME)

    X = rng.normal(size=(6, 5))
    assert f["finite_by_row_sums"](X)
    for bad in (np.nan, np.inf, -np.inf):
        for index in np.ndindex(X.shape):
            X_bad = X.copy()
            X_bad[index] = bad
            assert not f["finite_by_row_sums"](X_bad)
    huge = np.full((2, 3), np.finfo(np.float64).max)  # finite, but its sums overflow:
    assert not f["finite_by_row_sums"](huge)  # why squareone then runs the exact test


# --- training on many processes -----------------------------------------------------------------


@checks("data-parallelism")
def test_data_parallelism(rng):
    from types import SimpleNamespace

    from squareone import Model
    from squareone.distributed import DataParallel

    f = formulas("data-parallelism")
    for n, N in ((128, 3), (104, 3), (2, 3), (7, 2), (1, 1)):
        bounds = f["shard_bounds"](n, N)
        assert [DataParallel.share(SimpleNamespace(rank=r, size=N), 0, n)
                for r in range(N)] == bounds
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
        assert max(b - a for a, b in bounds) - min(b - a for a, b in bounds) <= 1

    model = Model(dtype="float64")
    model.add(Dense(4, 5, seed=0, weight_regularizer_l2=0.1, bias_regularizer_l1=0.05))
    model.add(ReLU())
    model.add(Dense(5, 3, seed=1))
    model.add(Softmax())
    model.set(loss=CategoricalCrossentropy())
    model.finalize()
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, size=7)
    vector = model.parameter_vector

    def gradient(rows):
        model.backward(model.forward(X[rows], training=True), y[rows])
        return vector.gradients.copy()

    def mean_loss(theta):
        vector.values[...] = theta
        return model.loss.forward(model.forward(X), y).mean() + model.regularization_loss()

    full = gradient(slice(None))
    bounds = f["shard_bounds"](7, 3)  # 2, 2 and 3 rows
    shards = [gradient(slice(a, b)) for a, b in bounds]
    sizes = [b - a for a, b in bounds]
    np.testing.assert_allclose(f["combine"](shards, sizes), full, **SAME)
    theta = vector.values.copy()
    np.testing.assert_allclose(full, numerical_gradient(mean_loss, theta), **FD)
    assert np.abs(np.mean(shards, axis=0) - full).max() > 1e-3  # the plain average is wrong

    for N in (1, 2, 3, 5):
        vectors = [rng.normal(size=30) for _ in range(N)]  # 30 values: N equal chunks
        results, sent = f["ring_allreduce"](vectors)
        for result in results:
            np.testing.assert_allclose(result, np.sum(vectors, axis=0), **SAME)
        assert sent == [2 * (N - 1) * 30 // N] * N
