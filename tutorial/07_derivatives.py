# %% [markdown]
"""TITLE
Step 07: derivatives, partial derivatives and the chain rule (book chapters 7 and 8)

THEORY
The derivative f'(x) = df/dx is the slope of f at x: how much f changes per unit change of
x, for a tiny change. It can be approximated numerically,
    forward difference  (f(x + h) - f(x)) / h            error about h
    central difference  (f(x + h) - f(x - h)) / (2h)     error about h^2
and computed exactly (analytically) with a few rules: the derivative of a constant is 0, of
m*x is m, of x^n is n*x^(n-1), of a sum is the sum of the derivatives.
A function of several inputs has one partial derivative per input, df/dx_i, taken with the
other inputs held constant; together they form the gradient, the vector of partial
derivatives, which points uphill. The derivative of max(x, y) with respect to x is 1 where
x > y, else 0 (ReLU is max(x, 0)). The chain rule differentiates a composition: if
z = f(g(x)) then dz/dx = f'(g(x)) * g'(x): multiply the derivatives along the path.
Backpropagation (step 08) is the chain rule applied from the loss back to every weight.
This is the book's chapter 7 ("Derivatives") and the start of chapter 8 ("Gradients, Partial
Derivatives, and the Chain Rule").
Math: docs/concepts/backpropagation.md (the chain rule)
Math: docs/concepts/glossary.md (gradient)

THIS STEP
A numeric derivative by the central difference, written in plain NumPy, compared with the
analytic derivative for the book's examples: 2x^2, partial derivatives of functions of two
and three inputs, max, and a chain-rule composition. Each line prints both values and their
difference. The book's forward difference of 2x^2 is shown too, with its larger error. A
plot draws 2x^2 with tangent lines of slope f'(x).
"""

# %%
import numpy as np

from _common import pyplot, save_figure

H = 1e-5   # step of the numeric derivatives: small, but not so small that rounding dominates


def f(x):
    return 2 * x ** 2


def numeric_derivative(function, x, h=H):
    """Central difference: the slope of the chord from x - h to x + h."""
    return (function(x + h) - function(x - h)) / (2 * h)


def partial_derivatives(function, point, h=H):
    """Central difference along each input in turn, the others held constant."""
    point = np.asarray(point, dtype=np.float64)
    gradient = np.zeros_like(point)
    for i in range(len(point)):
        step = np.zeros_like(point)
        step[i] = h
        gradient[i] = (function(*(point + step)) - function(*(point - step))) / (2 * h)
    return gradient


def report(label, numeric, analytic):
    error = np.max(np.abs(np.asarray(numeric) - np.asarray(analytic)))
    print(f"{label:36s} numeric: {np.round(numeric, 6)}  analytic: {np.round(analytic, 6)}  "
          f"error: {error:.1e}")
    assert error < 1e-5, label
    return error


# %%
# The book's forward difference for f(x) = 2x^2 at x = 1, with p2_delta = 0.0001.
x, p2_delta = 1.0, 0.0001
forward = (f(x + p2_delta) - f(x)) / p2_delta
print(f"forward difference of 2x^2 at x=1 (h=1e-4): {forward:.10f}  analytic: 4  "
      f"error: {abs(forward - 4):.1e}")
report("central difference of 2x^2 at x=1", numeric_derivative(f, 1.0), 4 * 1.0)
for x in (0.0, 2.0, 3.5):
    report(f"d(2x^2)/dx = 4x at x={x}", numeric_derivative(f, x), 4 * x)

# %%
# Partial derivatives: one per input, the others held constant.
x, y, z = 2.0, 3.0, -1.5
report("f = x + y: (1, 1)", partial_derivatives(lambda x, y: x + y, (x, y)), [1, 1])
report("f = 2x + 3y^2: (2, 6y)", partial_derivatives(lambda x, y: 2 * x + 3 * y ** 2, (x, y)),
       [2, 6 * y])
report("f = 3x^2 y: (6xy, 3x^2)", partial_derivatives(lambda x, y: 3 * x ** 2 * y, (x, y)),
       [6 * x * y, 3 * x ** 2])
report("f = 3x^3 z - y^2 + 5z + 2yz",
       partial_derivatives(lambda x, y, z: 3 * x ** 3 * z - y ** 2 + 5 * z + 2 * y * z,
                           (x, y, z)),
       [9 * x ** 2 * z, -2 * y + 2 * z, 3 * x ** 3 + 5 + 2 * y])
report("f = x * y: (y, x)", partial_derivatives(lambda x, y: x * y, (x, y)), [y, x])

# %%
# max(x, y): the derivative is 1 for the larger input, 0 for the other (ReLU = max(x, 0)).
report("f = max(x, y) at x=2, y=3", partial_derivatives(max, (2.0, 3.0)), [0, 1])
report("relu(x) = max(x, 0) at x=2", numeric_derivative(lambda x: max(x, 0.0), 2.0), 1)
report("relu(x) = max(x, 0) at x=-2", numeric_derivative(lambda x: max(x, 0.0), -2.0), 0)

# %%
# The chain rule: h(x) = 3 * (2x^2)^5 = f(g(x)) with g(x) = 2x^2 and f(u) = 3u^5,
# so h'(x) = f'(g(x)) * g'(x) = 15 * (2x^2)^4 * 4x.
x = 0.9
report("chain rule: d/dx 3(2x^2)^5 at x=0.9",
       numeric_derivative(lambda x: 3 * (2 * x ** 2) ** 5, x), 15 * (2 * x ** 2) ** 4 * 4 * x)


def save_plot():
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(6, 4.5))
    xs = np.linspace(0, 5, 200)
    ax.plot(xs, f(xs), color="black", label="f(x) = 2x^2")
    for x0 in (1, 2, 3, 4):
        slope = numeric_derivative(f, float(x0))
        near = np.linspace(x0 - 0.9, x0 + 0.9, 10)
        ax.plot(near, slope * (near - x0) + f(x0), label=f"tangent at x={x0}, slope {slope:.1f}")
        ax.plot([x0], [f(x0)], "o", color="black")
    ax.set(xlabel="x", ylabel="f(x)", title="The derivative is the slope of the tangent")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, "07_derivatives.png")


save_plot()
