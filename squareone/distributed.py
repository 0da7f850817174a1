"""Data-parallel training on MPI: every process trains on its part of each batch.

All of a model's gradients live in one flat vector (:class:`squareone.model.ParameterVector`),
so data parallelism is one collective per step. Every process (a *rank*) holds the same
parameters, takes its rows of each global batch, computes their gradient, and one
``Allreduce`` sums the gradients, each weighted by its share of the batch, into the gradient of
the whole batch; every rank then applies the same optimizer step and stays identical. Why that
sum equals the single-process gradient: ``docs/concepts/data-parallelism.md``.

Run a script that uses :class:`DataParallel` under MPI, with ``python -m mpi4py`` so that an
exception on one rank ends the whole job instead of leaving the others waiting::

    mpiexec -n 2 python -m mpi4py train_script.py

``pip install squareone[mpi]`` installs mpi4py and MPICH (``mpiexec`` lands in the virtual
environment's ``bin/``); ``import squareone`` never needs them.

Memory: every rank holds the whole training and validation arrays (the simplest way to draw
the same shuffled batches everywhere); Fashion-MNIST in float32 is 188 MB per rank.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from squareone._extras import require
from squareone.layers import Dropout

__all__ = ["DataParallel", "mpi", "is_worker", "run_on_workers"]


def mpi():
    """Return ``mpi4py.MPI`` (starting MPI), or raise an ImportError naming the extra."""
    try:
        return require("mpi4py.MPI", "mpi", "squareone.distributed")
    except RuntimeError as error:  # mpi4py is there but cannot load an MPI library
        raise ImportError(f"squareone.distributed needs an MPI library ({error}): "
                          "pip install squareone[mpi]") from error


class DataParallel:
    """Train a finalized model on every process of an MPI job, as if on one process.

    Creating it is a collective call: every rank must create it with the same architecture.
    Rank 0's parameters and optimizer state are copied to every rank, and the dropout layers
    of the other ranks get their own random streams (``[seed, rank]``), so no two ranks drop
    the same units.

    Parameters
    ----------
    model : squareone.Model
        A finalized model, built the same way on every rank.
    comm : mpi4py.MPI.Comm, optional
        The processes to train on; by default all of them (``COMM_WORLD``).

    Attributes
    ----------
    rank, size : int
        This process's number and the number of processes.
    is_root : bool
        True on rank 0, the one that prints, checkpoints and saves.

    Examples
    --------
    Every rank runs the same script (``mpiexec -n 2 python -m mpi4py script.py``)::

        parallel = DataParallel(model)
        history = parallel.train(X, y, epochs=10, batch_size=128, shuffle=True, seed=0)
        parallel.save("model.squareone")      # written once, by rank 0
    """

    def __init__(self, model, comm=None) -> None:
        MPI = mpi()
        if not getattr(model, "finalized", False):
            raise RuntimeError(f"DataParallel needs a finalized squareone Model, got {model!r}: "
                               "call model.finalize() first")
        self.model = model
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.is_root = self.rank == 0
        self._sum, self._in_place = MPI.SUM, MPI.IN_PLACE
        vector = model.parameter_vector
        # The step's gradients and its three sums (loss, hits, values compared) travel together.
        self._step_buffer = np.empty(vector.gradients.size + 3, dtype=vector.gradients.dtype)
        self._start_from_rank_0()
        if self.size > 1:
            for layer in model.layers:  # rank 0 keeps its stream: one rank is one process
                if isinstance(layer, Dropout) and self.rank > 0:
                    layer._rng = np.random.default_rng(
                        None if layer.seed is None else [layer.seed, self.rank])
            _abort_job_on_uncaught_error(self.comm)

    # --- what the training loop asks (see squareone.model.training.OneProcess) ------------

    def share(self, start: int, stop: int) -> tuple[int, int]:
        """Return this rank's rows ``[first, last)`` of the samples ``[start, stop)``.

        The rows are split as evenly as possible: shares differ by at most one row, and a
        batch smaller than the number of ranks leaves some ranks without rows.
        """
        rows = stop - start
        return (start + rows * self.rank // self.size,
                start + rows * (self.rank + 1) // self.size)

    def reduce_step(self, gradients: np.ndarray, sums: tuple, rows: int, batch_rows: int):
        r"""Replace this rank's gradients by the whole batch's; return the batch's sums.

        Each rank's loss gradient is a mean over its ``rows`` samples, so weighted by
        $n_r / n$ and summed over ranks it is the mean over the batch's $n$ samples (the
        regularization gradient, the same on every rank, is weighted by $\sum_r n_r/n = 1$).
        """
        if self.size == 1:
            return sums
        buffer, count = self._step_buffer, gradients.size
        np.multiply(gradients, rows / batch_rows, out=buffer[:count])
        buffer[count:] = sums
        self.comm.Allreduce(self._in_place, buffer, op=self._sum)
        gradients[...] = buffer[:count]
        loss_sum, hits, compared = buffer[count:].tolist()
        return loss_sum, round(hits), round(compared)

    def reduce_sums(self, sums: tuple) -> tuple:
        """Return the sums of ``sums`` (validation loss, hits, compared) over all ranks."""
        if self.size == 1:
            return sums
        totals = np.array(sums, dtype=np.float64)
        self.comm.Allreduce(self._in_place, totals, op=self._sum)
        loss_sum, hits, compared = totals.tolist()
        return loss_sum, round(hits), round(compared)

    # --- what the user calls --------------------------------------------------------------

    def train(self, X, y, *, verbose: int = 1, checkpoint=None, shuffle: bool = False,
              seed=None, **options):
        """Train on the global batches of ``X``, ``y``, spread over the ranks.

        Takes the options of :meth:`squareone.Model.train`, with the same meaning: every
        rank passes the whole ``X`` and ``y``, ``batch_size`` is the *global* batch, and the
        History (loss, accuracy, validation metrics over all ranks) is the same on every rank.
        Only rank 0 prints (``verbose``) and writes the ``checkpoint``. With ``shuffle`` and
        no ``seed``, rank 0 draws the seed and shares it, so every rank visits the same order.
        """
        if shuffle and seed is None:
            drawn = np.array([np.random.default_rng().integers(2**62)], dtype=np.int64)
            self.comm.Bcast(drawn, root=0)
            seed = int(drawn[0])
        self.model._parallel = self
        try:
            history = self.model.train(X, y, verbose=verbose if self.is_root else 0,
                                       checkpoint=checkpoint if self.is_root else None,
                                       shuffle=shuffle, seed=seed, **options)
        finally:
            del self.model._parallel
        if checkpoint is not None:  # no rank reads the checkpoint before rank 0 has written it
            self.comm.Barrier()
        return history

    def save(self, path, *, include_optimizer: bool = True,
             overwrite: bool | None = None) -> None:
        """Save the model once, from rank 0; if that fails, every rank raises."""
        failed = np.zeros(1, dtype=np.int64)
        try:
            if self.is_root:
                try:
                    self.model.save(path, include_optimizer=include_optimizer,
                                    overwrite=overwrite)
                except Exception:
                    failed[0] = 1
                    raise
        finally:  # rank 0 tells the others before it raises, so none of them waits for it
            self.comm.Bcast(failed, root=0)
        if failed[0]:
            raise OSError(f"rank 0 could not save the model to {path} (its error is above)")

    # --- starting identical ------------------------------------------------------------------

    def _start_from_rank_0(self) -> None:
        """Give every rank rank 0's parameters and optimizer state (e.g. a loaded checkpoint).

        First every rank checks, collectively, that its model has the same number and type of
        parameters and its optimizer the same step count and buffers as rank 0's, so that a
        mismatch raises the same error on every rank instead of a failed broadcast.
        """
        values, optimizer = self.model.parameter_vector.values, self.model.optimizer
        state = optimizer.state_for(values) if optimizer is not None else {}
        names = sorted(name for name in state if name not in ("param", "scratch"))
        local = np.array([values.size, values.itemsize,
                          optimizer.iterations if optimizer is not None else -1,
                          zlib.crc32(" ".join(names).encode())], dtype=np.int64)
        root = local.copy()
        self.comm.Bcast(root, root=0)
        differs = np.array([int(not np.array_equal(local, root))], dtype=np.int64)
        self.comm.Allreduce(self._in_place, differs, op=self._sum)
        if differs[0]:
            raise ValueError(f"{int(differs[0])} rank(s) start from another model than rank 0 "
                             "(the parameter count or dtype, the optimizer's step count or its "
                             "buffers differ): build the model the same way on every rank, or "
                             "load the same checkpoint")
        self.comm.Bcast(values, root=0)
        for name in names:
            self.comm.Bcast(state[name], root=0)


def _abort_job_on_uncaught_error(comm) -> None:
    """Make an exception that nobody catches on one rank end every rank, not hang them.

    The other ranks would otherwise wait for this one in their next collective forever.
    ``python -m mpi4py`` does the same for a whole script; this covers ``python script.py``.
    """
    previous = sys.excepthook
    if getattr(previous, "aborts_mpi_job", False):
        return

    def report_and_abort(kind, error, traceback) -> None:
        previous(kind, error, traceback)
        sys.stderr.flush()
        # Abort makes mpiexec kill every process at once, and output still on its way through
        # mpiexec's forwarding (seen on a loaded machine: the traceback cut before the error's
        # own line) is lost with them; a moment's wait lets the reason reach the user.
        time.sleep(0.5)
        comm.Abort(1)

    report_and_abort.aborts_mpi_job = True
    sys.excepthook = report_and_abort


# --- the command line: ``squareone train --workers N`` ------------------------------------

#: Set by :func:`run_on_workers` in the environment of the processes it starts.
WORKERS_VARIABLE = "SQUAREONE_WORKERS"

# Let Open MPI run as root and start more ranks than cores, as MPICH does unasked; MPICH
# ignores these variables. (Open MPI 4 reads OMPI_MCA_*, Open MPI 5 PRTE_MCA_*.)
_OPEN_MPI_PERMISSIONS = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "PRTE_MCA_rmaps_default_mapping_policy": ":oversubscribe",
}


def is_worker() -> bool:
    """Return True inside a process that :func:`run_on_workers` started."""
    return bool(os.environ.get(WORKERS_VARIABLE))


def find_mpiexec() -> str:
    """Return the ``mpiexec`` beside this Python (a virtual environment's), else on PATH."""
    require("mpi4py", "mpi", "training on several workers")
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.is_file() else shutil.which("mpiexec")
    if found is None:
        raise ImportError("training on several workers needs mpiexec, which is not installed: "
                          "pip install squareone[mpi]")
    return found


def run_on_workers(workers: int, argv: list[str]) -> int:
    """Run ``squareone *argv`` on ``workers`` MPI processes; return its exit status.

    The processes run under ``python -m mpi4py``, so an error on any of them ends them all
    (each reports its own error) instead of leaving the others waiting.
    """
    command = [find_mpiexec(), "-n", str(workers), sys.executable, "-m", "mpi4py", "-c",
               "import sys; from squareone.cli import main; sys.exit(main())", *argv]
    environment = dict(os.environ, **_OPEN_MPI_PERMISSIONS, **{WORKERS_VARIABLE: str(workers)})
    return subprocess.run(command, env=environment).returncode
