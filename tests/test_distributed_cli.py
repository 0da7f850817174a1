"""``squareone train --workers N``, faults on one rank, and MPI staying optional.

Every ``mpiexec`` runs under a timeout (see test_distributed.py): a job that hangs fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import require_extra
from test_distributed import MPI_TIMEOUT_S, ROOT, mpiexec

import squareone as sq

# Rank 1 fails on its own (bad data on its shard), while rank 0 waits in training for it.
ONE_RANK_FAILS = """
import numpy as np
import squareone as sq
from squareone.distributed import DataParallel

model = sq.Model()
model.add(sq.Dense(4, 3, seed=0)); model.add(sq.Softmax())
model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.SGD())
model.finalize()
parallel = DataParallel(model)
if parallel.rank == 1:
    raise ValueError("bad data on the shard of rank 1")
parallel.train(np.ones((100, 4)), np.zeros(100, dtype=int), epochs=1000, verbose=0)
"""

# Rank 1's rows of the first batch overflow float32: only its loss is infinite.
ONE_RANK_DIVERGES = """
import numpy as np
import squareone as sq
from squareone.distributed import DataParallel

model = sq.Model()
model.add(sq.Dense(4, 3, seed=0)); model.add(sq.Softmax())
model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.SGD())
model.finalize()
X = np.ones((8, 4))
X[4:] = 3e38
parallel = DataParallel(model)
try:
    parallel.train(X, np.zeros(8, dtype=int), epochs=3, batch_size=8, verbose=0)
except sq.TrainingDivergedError as error:  # caught: a rank that did not raise would hang
    print(f"rank {parallel.rank}: {error}")
"""


def run_script(tmp_path, source: str, *launcher: str):
    script = tmp_path / "script.py"
    script.write_text(source)
    return mpiexec(2, *launcher, str(script))


def test_an_error_on_one_rank_ends_the_job_under_plain_python(tmp_path):
    # No ``-m mpi4py``: DataParallel's own hook ends the job instead of a hang.
    result = run_script(tmp_path, ONE_RANK_FAILS)
    assert result.returncode != 0
    assert "ValueError: bad data on the shard of rank 1" in result.stderr


def test_an_error_on_one_rank_ends_the_job_under_mpi4py(tmp_path):
    result = run_script(tmp_path, ONE_RANK_FAILS, "-m", "mpi4py")
    assert result.returncode != 0
    assert "ValueError: bad data on the shard of rank 1" in result.stderr


def test_divergence_on_one_shard_stops_every_rank_at_the_same_step(tmp_path):
    result = run_script(tmp_path, ONE_RANK_DIVERGES, "-m", "mpi4py")
    assert result.returncode == 0, result.stderr
    # Both ranks see the reduced loss and raise the same error at the same step.
    # The two ranks write to one pipe at once, so a line may lose its newline to the other's.
    lines = sorted(part.strip() for part in re.split(r"(?=rank \d: )", result.stdout)
                   if part.strip())
    assert [line[:8] for line in lines] == ["rank 0: ", "rank 1: "], result.stdout
    assert lines[0][8:] == lines[1][8:]
    assert "the loss became nan at epoch" in lines[0]


def squareone_command(*args: str, timeout: float = MPI_TIMEOUT_S):
    """Run the installed ``squareone`` command as a user would."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", "import sys; from squareone.cli import main; "
                           "sys.exit(main())", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_cli_workers_train_as_one_process(tmp_path):
    require_extra("mpi4py", "mpi")
    common = ["train", "--epochs", "3", "--no-plot", "--quiet"]
    one = squareone_command(*common, "--output", str(tmp_path / "one.squareone"))
    two = squareone_command(*common, "--workers", "2", "--output", str(tmp_path / "two.squareone"))
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    # Rank 0 alone prints the result lines; the numbers agree with the 1-process run.
    assert two.stdout.count("validation accuracy:") == 1, two.stdout
    assert two.stdout.splitlines()[-1] == one.stdout.splitlines()[-1]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["one.squareone", "two.squareone"]
    single = sq.Model.load(tmp_path / "one.squareone").parameter_vector.values
    parallel = sq.Model.load(tmp_path / "two.squareone").parameter_vector.values
    # float32: 141 Adam steps of at most 0.005 each; the ranks only round differently.
    np.testing.assert_allclose(parallel, single, rtol=0, atol=1e-3)


def test_cli_workers_in_float64_equal_one_process(tmp_path):
    require_extra("mpi4py", "mpi")
    common = ["train", "--epochs", "3", "--no-plot", "--dtype", "float64"]
    one = squareone_command(*common, "--output", str(tmp_path / "one.squareone"))
    three = squareone_command(*common, "--workers", "3", "--output",
                              str(tmp_path / "three.squareone"))
    assert one.returncode == 0, one.stderr
    assert three.returncode == 0, three.stderr
    assert three.stdout.replace("three", "one") == one.stdout  # every line rank 0 printed
    single = sq.Model.load(tmp_path / "one.squareone")
    parallel = sq.Model.load(tmp_path / "three.squareone")
    assert parallel.dtype == np.float64
    np.testing.assert_allclose(parallel.parameter_vector.values,
                               single.parameter_vector.values, rtol=0, atol=1e-10)


def test_cli_error_on_the_workers_is_one_line_and_exit_1(tmp_path):
    require_extra("mpi4py", "mpi")
    result = squareone_command("train", "--workers", "2", "--dataset", "fashion-mnist",
                               "--data-dir", str(tmp_path), "--no-download", "--no-plot",
                               "--output", str(tmp_path / "m.squareone"))
    assert result.returncode == 1
    assert "squareone: error:" in result.stderr
    assert not (tmp_path / "m.squareone").exists()


def test_cli_workers_must_be_positive():
    result = squareone_command("train", "--workers", "0")
    assert result.returncode == 2
    assert "squareone: error: argument --workers" in result.stderr


BLOCK_MPI4PY = "import sys; sys.modules['mpi4py'] = None; "


def test_missing_mpi_names_the_extra():
    code = BLOCK_MPI4PY + "import squareone.distributed as d; d.DataParallel(None)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 1
    assert ("ImportError: squareone.distributed needs mpi4py, which is not installed: "
            "pip install squareone[mpi]") in result.stderr


def test_cli_missing_mpi_names_the_extra(tmp_path):
    code = BLOCK_MPI4PY + "from squareone.cli import main; sys.exit(main())"
    result = subprocess.run([sys.executable, "-c", code, "train", "--workers", "2", "--output",
                             str(tmp_path / "m.squareone")], capture_output=True, text=True,
                            timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 1
    assert result.stderr.strip() == ("squareone: error: training on several workers needs "
                                     "mpi4py, which is not installed: pip install squareone[mpi]")


@pytest.mark.parametrize("module", ["squareone", "squareone.cli"])
def test_squareone_does_not_import_mpi4py(module):
    code = f"import sys, {module}; print('mpi4py' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.stdout.strip() == "False", result.stderr


def test_core_modules_never_name_mpi():
    package = Path(sq.__file__).parent
    for path in [*package.glob("*.py"), *(package / "model").glob("*.py")]:
        if path.name not in ("distributed.py", "_extras.py"):
            assert "mpi4py" not in path.read_text(encoding="utf-8"), path
