"""Data-parallel training on MPI (squareone.distributed) gives what one process gives.

Every test that starts ``mpiexec`` runs it with a timeout: a rank that waits for another one
forever is a failure here, never a hung test session. The ranks are ordinary processes, so 3
ranks run on this machine's 2 cores (MPICH oversubscribes without being asked).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import require_extra

import squareone as sq

ROOT = Path(__file__).resolve().parents[1]
MPI_TIMEOUT_S = 120

# Builds the same model and data on every rank and in the test process. Fashion-MNIST-sized
# batches (128 rows of 784 features), 1,000 samples so that the last batch is uneven (104
# rows: 52 + 52 on 2 ranks, 34 + 35 + 35 on 3), and validation data of 301 rows.
SETUP = """
import numpy as np
import squareone as sq

def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 784))
    y = (X[:, :10] @ rng.standard_normal((10, 10))).argmax(axis=1)
    return X, y, (X[:301] + 0.1, y[:301])

def build(dtype="float64", hidden=64, lr=1e-3):
    model = sq.Model(dtype=dtype)
    model.add(sq.Dense(784, hidden, seed=1, weight_regularizer_l2=1e-4))
    model.add(sq.ReLU())
    model.add(sq.Dense(hidden, 10, seed=2))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(),
              optimizer=sq.Adam(learning_rate=lr, decay=1e-3),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model

OPTIONS = dict(epochs=3, batch_size=128, shuffle=True, seed=5, verbose=0)
"""

# Run by every rank: train, and write what each rank ended with to OUT/<name>-<rank>.*.
WORKER = SETUP + """
import json, sys
from squareone.distributed import DataParallel

out = sys.argv[1]

def record(name, parallel, history):
    np.save(f"{out}/{name}-{parallel.rank}.npy", parallel.model.parameter_vector.values)
    with open(f"{out}/{name}-{parallel.rank}.json", "w") as file:
        json.dump(history.history, file)

X, y, validation = data()
for dtype in ("float64", "float32"):
    parallel = DataParallel(build(dtype))
    record(dtype, parallel, parallel.train(X, y, validation_data=validation, **OPTIONS))

# Batches of 2 samples (7 in all): with 3 ranks one rank has no rows in every batch.
parallel = DataParallel(build())
record("tiny", parallel, parallel.train(X[:7], y[:7], epochs=2, batch_size=2, verbose=0))

# Two epochs with a checkpoint (written by rank 0), then every rank resumes from it.
checkpoint = f"{out}/checkpoint.squareone"
parallel = DataParallel(build())
parallel.train(X, y, checkpoint=checkpoint, **dict(OPTIONS, epochs=2))
resumed = DataParallel(sq.Model.load(checkpoint))
record("resumed", resumed, resumed.train(X, y, **dict(OPTIONS, epochs=1)))
resumed.save(f"{out}/saved.squareone")

# Dropout: the first mask value each rank's layer would draw.
dropout_model = sq.Model()
for layer in (sq.Dense(4, 4, seed=0), sq.Dropout(0.5, seed=3), sq.Dense(4, 2, seed=1),
              sq.Softmax()):
    dropout_model.add(layer)
dropout_model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.SGD())
dropout_model.finalize()
DataParallel(dropout_model)
with open(f"{out}/dropout-{parallel.rank}.txt", "w") as file:
    file.write(repr(dropout_model.layers[1]._rng.random()))

# A rank whose optimizer state differs from rank 0's: every rank raises the same error.
# So does one whose network has another size, and a model that is not finalized.
for name, model in (("mismatch", sq.Model.load(checkpoint) if parallel.rank == 0 else build()),
                    ("architecture", build(hidden=64 if parallel.rank == 0 else 32)),
                    ("unfinalized", sq.Model())):
    try:
        DataParallel(model)
    except (ValueError, RuntimeError) as error:
        with open(f"{out}/{name}-{parallel.rank}.txt", "w") as file:
            file.write(f"{type(error).__name__}: {error}")
"""


def mpiexec(ranks: int, *command: str, timeout: float = MPI_TIMEOUT_S, **variables: str):
    """Run ``command`` (after ``python``) on ``ranks`` MPI processes; return the result.

    ``variables`` are added to the environment.
    """
    require_extra("mpi4py", "mpi")
    from squareone.distributed import find_mpiexec

    launcher = find_mpiexec()  # the one beside this Python (the venv's), else on PATH
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1",
               PYTHONPATH=str(ROOT), **variables)
    return subprocess.run([str(launcher), "-n", str(ranks), sys.executable, *command],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def single_process(dtype="float64", X=None, y=None, **options):
    """The reference: the same model trained by plain ``Model.train`` in this process."""
    namespace: dict = {}
    exec(SETUP, namespace)
    X_all, y_all, validation = namespace["data"]()
    model = namespace["build"](dtype)
    settings = dict(namespace["OPTIONS"], validation_data=validation, **options)
    if X is not None:
        X_all, y_all = X, y
        settings.pop("validation_data")
    history = model.train(X_all, y_all, **settings)
    return model, history


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda ranks: f"{ranks}-ranks")
def run(request, tmp_path_factory):
    """Run WORKER on 1, 2 and 3 ranks; return (ranks, output folder)."""
    ranks = request.param
    out = tmp_path_factory.mktemp(f"ranks{ranks}")
    script = out / "worker.py"
    script.write_text(WORKER)
    result = mpiexec(ranks, "-m", "mpi4py", str(script), str(out))
    assert result.returncode == 0, result.stderr
    return ranks, out


def outputs(run, name):
    ranks, out = run
    return [(np.load(out / f"{name}-{rank}.npy"),
             json.loads((out / f"{name}-{rank}.json").read_text())) for rank in range(ranks)]


def test_float64_parameters_equal_one_process(run):
    model, history = single_process()
    for parameters, recorded in outputs(run, "float64"):
        # The ranks sum the same products in another order: only rounding differs (measured
        # up to 2e-15 after 24 steps on 2 and 3 ranks).
        np.testing.assert_allclose(parameters, model.parameter_vector.values, rtol=0, atol=1e-10)
        for key, values in history.history.items():
            np.testing.assert_allclose(recorded[key], values, rtol=1e-10, atol=1e-12, err_msg=key)


def test_float32_parameters_equal_one_process_to_rounding(run):
    model, history = single_process("float32")
    for parameters, recorded in outputs(run, "float32"):
        # float32 rounds each gradient to ~6e-8 relative; Adam divides by sqrt(v), so where a
        # gradient is near zero that rounding can change a step by a sizeable part of the
        # learning rate (1e-3). Measured: up to 2.1e-6 after 24 steps (weights ~0.05); 2e-5,
        # 2% of one step, leaves a 10x margin and still fails for any real difference.
        np.testing.assert_allclose(parameters, model.parameter_vector.values, rtol=0, atol=2e-5)
        np.testing.assert_allclose(recorded["loss"], history.loss, rtol=1e-5)
        np.testing.assert_allclose(recorded["val_accuracy"], history.val_accuracy, atol=0.01)


def test_history_is_the_same_on_every_rank(run):
    histories = [recorded for _, recorded in outputs(run, "float32")]
    assert all(h == histories[0] for h in histories), "ranks recorded different histories"
    assert len(histories[0]["val_loss"]) == 3


def test_batches_smaller_than_the_ranks(run):
    namespace: dict = {}
    exec(SETUP, namespace)
    X, y, _ = namespace["data"]()
    model, _ = single_process(X=X[:7], y=y[:7], epochs=2, batch_size=2, shuffle=False)
    for parameters, _ in outputs(run, "tiny"):
        np.testing.assert_allclose(parameters, model.parameter_vector.values, rtol=0, atol=1e-10)


def test_resuming_from_a_checkpoint(run, tmp_path):
    # The single-process path: two epochs with a checkpoint, then one more from the file.
    namespace: dict = {}
    exec(SETUP, namespace)
    X, y, _ = namespace["data"]()
    model = namespace["build"]()
    options = namespace["OPTIONS"]
    model.train(X, y, checkpoint=tmp_path / "c.squareone", **dict(options, epochs=2))
    resumed = sq.Model.load(tmp_path / "c.squareone")
    resumed.train(X, y, **dict(options, epochs=1))
    for parameters, _ in outputs(run, "resumed"):
        np.testing.assert_allclose(parameters, resumed.parameter_vector.values, atol=1e-10)
    saved = sq.Model.load(run[1] / "saved.squareone")
    np.testing.assert_allclose(saved.parameter_vector.values, resumed.parameter_vector.values,
                               atol=1e-10)


@pytest.mark.parametrize("name", ["mismatch", "architecture"])
def test_a_rank_with_another_model_is_refused_on_every_rank(run, name):
    ranks, out = run
    if ranks == 1:
        assert not list(out.glob(f"{name}-*"))
        return
    messages = {(out / f"{name}-{rank}.txt").read_text() for rank in range(ranks)}
    assert len(messages) == 1, messages  # the same error on every rank
    assert (f"ValueError: {ranks - 1} rank(s) start from another model than rank 0"
            in messages.pop())


def test_an_unfinalized_model_is_refused(run):
    ranks, out = run
    for rank in range(ranks):
        message = (out / f"unfinalized-{rank}.txt").read_text()
        assert message.startswith("RuntimeError: DataParallel needs a finalized squareone Model")


def test_dropout_masks_differ_between_ranks(run):
    ranks, out = run
    draws = [float((out / f"dropout-{rank}.txt").read_text()) for rank in range(ranks)]
    assert draws[0] == np.random.default_rng(3).random()  # rank 0 keeps the layer's stream
    assert len(set(draws)) == ranks  # no two ranks drop the same units
