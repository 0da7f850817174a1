# %% [markdown]
"""TITLE
Step 22: training on many machines (data parallelism with MPI)

THEORY
A batch's loss is the mean of its samples' losses, so its gradient is the mean of theirs. Split
the n samples of a batch over N processes (ranks): rank r computes, from its n_r rows alone, the
gradient g_r of the mean loss over those rows, exactly what one process computes for a smaller
batch. Weighted by its share n_r / n, the ranks' gradients sum to the whole batch's gradient:
    sum_r (n_r / n) g_r = dL/dtheta        (the weights add up to 1, so the L2 term comes once)
The plain average (1/N) sum_r g_r is right only when every shard has the same size; 128 rows on
3 ranks are 42 + 43 + 43. One collective, an all-reduce, sums the weighted vectors and gives the
sum to every rank; as every parameter and gradient of a squareone model lives in one flat
vector, that is one call per step. Every rank starts from the same parameters, sees the same
gradient and applies the same Adam update, so the ranks stay identical, and equal to one
process: only the order of the additions, so the rounding, differs. The ring all-reduce passes
chunks around the ranks; each rank sends 2 (N - 1) / N of the vector whatever N is, so the
time of a step is compute / N + the all-reduce, and adding ranks stops paying once the
all-reduce costs as much as the compute it saves.

THIS STEP
Takes one batch of step 18's Fashion-MNIST data and step 18's model in float64, computes the
batch's gradient, then the gradients of 3 uneven shards of it, and shows that the weighted sum
equals the batch's gradient while the plain average does not. Then simulates a ring all-reduce
of 4 ranks in NumPy and counts what each rank sends. Last, with MPI (pip install
squareone[mpi]), trains the model for 2 epochs with squareone.distributed.DataParallel on every
rank of the job and compares the parameters with a 1-process run of the same training. Run it as
    mpiexec -n 2 python -m mpi4py tutorial/22_many_machines.py
(python -m mpi4py ends every rank if one fails, instead of leaving the others waiting). Only
rank 0 prints. Plain `python tutorial/22_many_machines.py` runs it on one rank.
Changed since step 21: the training loop's gradients pass through an all-reduce.

Math: docs/concepts/data-parallelism.md (the weighted sum, the ring all-reduce and its cost)
"""

# %%
import numpy as np

import squareone as sq

from _common import FAST, argument_parser, prepared_fashion_mnist

args = argument_parser(__doc__).parse_args()
(X, y), (X_test, y_test) = prepared_fashion_mnist(args.data_dir)


def fashion_mnist_model_64() -> sq.Model:
    """Step 18's 784-128-128-10 model in float64, with fixed seeds (the same on every rank)."""
    model = sq.Model(dtype="float64")
    model.add(sq.Dense(784, 128, seed=1))
    model.add(sq.ReLU())
    model.add(sq.Dense(128, 128, seed=2))
    model.add(sq.ReLU())
    model.add(sq.Dense(128, 10, seed=3))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(decay=1e-3),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model


try:  # the MPI part needs the extra; without it this step runs the first two parts only
    from squareone.distributed import DataParallel, mpi

    rank = mpi().COMM_WORLD.Get_rank()
except ImportError as error:
    DataParallel, rank = None, 0
    missing = str(error)
say = print if rank == 0 else (lambda *_: None)

# %%
# --- 1. One batch's gradient from three uneven shards --------------------------------------------
model = fashion_mnist_model_64()
batch_X, batch_y = X[:128], y[:128]
gradients = model.parameter_vector.gradients  # every gradient of the model, one flat vector


def gradient_of(rows):
    model.backward(model.forward(batch_X[rows], training=True), batch_y[rows])
    return gradients.copy()


whole = gradient_of(slice(None))
n, N = len(batch_X), 3
bounds = [(n * r // N, n * (r + 1) // N) for r in range(N)]  # as DataParallel.share splits
shards = [gradient_of(slice(first, last)) for first, last in bounds]
sizes = [last - first for first, last in bounds]
weighted = sum(n_r / n * g for n_r, g in zip(sizes, shards))
plain = sum(shards) / N
say(f"batch of {n} rows on {N} ranks: shards of {sizes} rows")
say(f"weighted sum of the shards' gradients vs the batch's: max difference "
    f"{np.abs(weighted - whole).max():.1e}")
say(f"plain average of the shards' gradients vs the batch's: max difference "
    f"{np.abs(plain - whole).max():.1e}")
assert np.allclose(weighted, whole, rtol=0, atol=1e-15)

# %%
# --- 2. A ring all-reduce by hand ------------------------------------------------------------
ranks, P = 4, gradients.size
vectors = [np.random.default_rng(r).normal(size=P) for r in range(ranks)]
chunks = [np.array_split(v.copy(), ranks) for v in vectors]
sent = [0] * ranks
for step in range(ranks - 1):  # reduce-scatter: add the chunk arriving from rank r - 1
    messages = [(r, (r - step) % ranks, chunks[r][(r - step) % ranks].copy())
                for r in range(ranks)]
    for r, chunk, values in messages:
        chunks[(r + 1) % ranks][chunk] += values
        sent[r] += values.size
for step in range(ranks - 1):  # all-gather: pass the complete chunks on
    messages = [(r, (r + 1 - step) % ranks, chunks[r][(r + 1 - step) % ranks].copy())
                for r in range(ranks)]
    for r, chunk, values in messages:
        chunks[(r + 1) % ranks][chunk] = values
        sent[r] += values.size
total = np.sum(vectors, axis=0)
same = all(np.allclose(np.concatenate(parts), total) for parts in chunks)
say(f"ring all-reduce of {ranks} vectors of {P:,} values: every rank holds the sum: {same}")
say(f"values each rank sent: {sent[0]:,} = 2 (N - 1) / N * P = {2 * (ranks - 1) * P // ranks:,}")
assert same

# %%
# --- 3. The same training on every rank of an MPI job ---------------------------------------------
if DataParallel is None:
    say(f"MPI part skipped: {missing}")
else:
    options = dict(epochs=2, batch_size=128, shuffle=True, seed=0, verbose=0)
    if FAST:
        X, y = X[:2000], y[:2000]
    parallel = DataParallel(fashion_mnist_model_64())
    history = parallel.train(X, y, validation_data=(X_test, y_test), **options)
    say(f"ranks: {parallel.size}, global batch 128, {len(X)} samples, {options['epochs']} epochs")
    say(f"data-parallel: loss {history.loss[-1]:.6f}, validation accuracy "
        f"{history.val_accuracy[-1]:.4f}")
    if parallel.is_root:  # the reference: the same training on this one process
        single = fashion_mnist_model_64()
        reference = single.train(X, y, validation_data=(X_test, y_test), **options)
        difference = np.abs(parallel.model.parameter_vector.values
                            - single.parameter_vector.values).max()
        say(f"one process:   loss {reference.loss[-1]:.6f}, validation accuracy "
            f"{reference.val_accuracy[-1]:.4f}")
        say(f"parameters, data-parallel vs one process: max difference {difference:.1e}")
        assert difference < 1e-10
