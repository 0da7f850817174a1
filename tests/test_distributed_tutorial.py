"""Step 22 of the tutorial, training on many machines, run as its docstring says.

Under ``mpiexec -n 2 python -m mpi4py`` (with a timeout, as every MPI test here) and as a plain
1-process script; Fashion-MNIST found as ``conftest.real_data`` finds it, ``SQUAREONE_FAST=1``.
"""

from __future__ import annotations

import re

from conftest import check_step_docstring, require_extra, run_tutorial_step
from test_distributed import ROOT, mpiexec
from test_tutorial_library import require_fashion_mnist, value

STEP = "22_many_machines"


def check_output(output: str, ranks: int) -> None:
    assert "shards of [42, 43, 43] rows" in output
    assert value(output, "weighted sum of the shards' gradients vs the batch's: max "
                 "difference") < 1e-15
    assert value(output, "plain average of the shards' gradients vs the batch's: max "
                 "difference") > 1e-5
    assert "every rank holds the sum: True" in output
    sent = re.search(r"values each rank sent: ([\d,]+) = 2 \(N - 1\) / N \* P = ([\d,]+)", output)
    assert sent and sent.group(1) == sent.group(2) == "177,423", output
    assert f"ranks: {ranks}, global batch 128" in output
    parallel = re.search(r"^data-parallel: (.*)$", output, re.M).group(1)
    single = re.search(r"^one process:   (.*)$", output, re.M).group(1)
    assert parallel == single
    assert value(output, "parameters, data-parallel vs one process: max difference") < 1e-10


def test_step_docstring():
    check_step_docstring(STEP)


def test_runs_on_two_ranks(tmp_path):
    data = require_fashion_mnist()
    result = mpiexec(2, "-m", "mpi4py", str(ROOT / "tutorial" / f"{STEP}.py"),
                     SQUAREONE_FAST="1", SQUAREONE_DATA=str(data),
                     SQUAREONE_TUTORIAL_OUT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    check_output(result.stdout, ranks=2)
    assert result.stdout.count("weighted sum") == 1  # rank 0 alone prints


def test_runs_on_one_process(tmp_path):
    require_extra("mpi4py", "mpi")
    data = require_fashion_mnist()
    check_output(run_tutorial_step(STEP, SQUAREONE_DATA=str(data),
                                   SQUAREONE_TUTORIAL_OUT=str(tmp_path)), ranks=1)
