# %% [markdown]
"""TITLE
Step 01: a neuron and a layer of neurons, in plain Python (book chapter 2)

THEORY
A neuron multiplies each of its inputs x_i by a weight w_i, adds the products up and adds a
bias b:

    output = x_1*w_1 + x_2*w_2 + ... + x_n*w_n + b = sum_i(x_i * w_i) + b

The weights say how much each input matters (and with which sign); the bias shifts the
result. A layer is several neurons that all read the same inputs, each with its own weights
and bias: a layer of 3 neurons over 4 inputs has 3 lists of 4 weights and 3 biases, and
turns the 4 inputs into 3 outputs. This is the book's chapter 2 ("Coding Our First Neurons").
Math: docs/concepts/glossary.md (neuron, dense layer)

THIS STEP
Nothing is imported: a neuron is written out by hand, then with a loop over zip(inputs,
weights), then a layer of three neurons is a loop over the neurons. The layer prints the
book's [4.8, 1.21, 2.385].
"""

# %%
# %%
# One neuron with three inputs, written out term by term (the book's first example).
inputs = [1, 2, 3]
weights = [0.2, 0.8, -0.5]
bias = 2
output = inputs[0] * weights[0] + inputs[1] * weights[1] + inputs[2] * weights[2] + bias
print("one neuron, 3 inputs:", output)

# %%
# One neuron with four inputs, as a loop: zip pairs each input with its weight.
inputs = [1, 2, 3, 2.5]
weights = [0.2, 0.8, -0.5, 1]
bias = 2
output = 0
for x, w in zip(inputs, weights):
    output += x * w
output += bias
print("one neuron, 4 inputs:", output)

# %%
# A layer: three neurons read the same four inputs, each with its own weights and bias.
weights = [[0.2, 0.8, -0.5, 1],
           [0.5, -0.91, 0.26, -0.5],
           [-0.26, -0.27, 0.17, 0.87]]
biases = [2, 3, 0.5]

layer_outputs = []
for neuron_weights, neuron_bias in zip(weights, biases):
    neuron_output = 0
    for x, w in zip(inputs, neuron_weights):
        neuron_output += x * w
    neuron_output += neuron_bias
    layer_outputs.append(neuron_output)
print("layer of 3 neurons:", layer_outputs)

# %%
# The same sum written as one expression per neuron.
layer_outputs = [sum(x * w for x, w in zip(inputs, neuron_weights)) + neuron_bias
                 for neuron_weights, neuron_bias in zip(weights, biases)]
print("layer, as a list comprehension:", layer_outputs)

# %%
# Changing a weight or a bias changes the output: this is what training will tune.
weights[0][0] += 0.1
print("first neuron after weights[0][0] += 0.1:",
      sum(x * w for x, w in zip(inputs, weights[0])) + biases[0], "(was 4.8; input 1 * 0.1 more)")
