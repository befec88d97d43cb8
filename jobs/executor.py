"""Where model fits run: any `concurrent.futures` executor, chosen by `compute` settings.

`compute.executor = "local"` runs fits on this machine: `compute.workers = 1` in this
process, more in a local process pool whose workers each use one BLAS thread, so two
workers on two cores do not fight over them. A Dask scheduler address
(`tcp://host:port`) runs them on that cluster instead (see jobs/dask_executor.py; Dask
is imported only then). The refit job takes any `Executor`, so another engine can be
passed in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, ParamSpec, TypeVar

from config.settings import ComputeSettings

_BLAS_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

P = ParamSpec("P")
T = TypeVar("T")


def pin_blas_threads() -> None:
    """Worker initializer: one BLAS thread. Runs before numpy is imported in a spawned worker."""
    for name in _BLAS_THREAD_VARIABLES:
        os.environ[name] = "1"


class InlineExecutor(Executor):
    """Runs each task at submission, in the calling process (workers = 1, tests, debugging)."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


def local_executor(workers: int) -> Executor:
    """An executor for `workers` processes (spawned, so BLAS pinning takes effect)."""
    if workers <= 1:
        return InlineExecutor()
    context: Any = get_context("spawn")
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=pin_blas_threads
    )


def make_executor(compute: ComputeSettings) -> Executor:
    """The executor `compute` configures; the caller shuts it down (closing a Dask client)."""
    if compute.executor == "local":
        return local_executor(compute.workers)
    from jobs.dask_executor import DaskExecutor  # only when configured: Dask is heavy

    return DaskExecutor.connect(compute.executor)
