"""Fits on a Dask distributed cluster, behind the same `concurrent.futures` interface.

Imported only when `compute.executor` names a scheduler (`tcp://host:port`), so a local
deployment never loads Dask. The operator starts the cluster; every worker must be able
to import remitwatch (the same version as the caller) and should use one BLAS thread
per worker process, with one task thread each:

    dask scheduler --host 10.0.0.5 --port 8786
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        dask worker tcp://10.0.0.5:8786 --nworkers 8 --nthreads 1

Workers started through a nanny (the default of `dask worker`) already get the three
variables from Dask's `distributed.nanny.pre-spawn-environ` setting. A BLAS library reads
them once, when it is loaded, so setting them later cannot pin a library already loaded:
on connecting we set them on every worker (for libraries not loaded yet) and log a warning
naming any worker that was started without them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import ParamSpec, TypeVar

from distributed import Client, Worker
from distributed.diagnostics.plugin import WorkerPlugin

from config.errors import RemitwatchError
from jobs.executor import pin_blas_threads

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

#: How long to wait for the scheduler before giving up, in seconds.
CONNECT_SECONDS = 10.0


class ComputeError(RemitwatchError):
    """The configured compute cluster cannot be used; the message names the address."""


class PinBlasThreads(WorkerPlugin):
    """Sets one BLAS thread on each worker, now and on workers that join later."""

    name = "remitwatch-pin-blas-threads"
    idempotent = True

    def setup(self, worker: Worker) -> None:
        pin_blas_threads()


#: The variables a worker must be started with (numexpr, also pinned, is not used by fits).
_STARTUP_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def blas_environment() -> dict[str, str | None]:
    """The BLAS thread variables of the process this runs in (run on each worker)."""
    return {name: os.environ.get(name) for name in _STARTUP_VARIABLES}


class DaskExecutor(Executor):
    """Submits to a Dask scheduler; `shutdown` closes the client, not the cluster."""

    def __init__(self, client: Client) -> None:
        self._client = client
        # pure=False: a task submitted twice runs twice (Dask would otherwise reuse a result).
        self._executor = client.get_executor(pure=False)  # type: ignore[no-untyped-call]

    @classmethod
    def connect(cls, address: str, *, timeout_seconds: float = CONNECT_SECONDS) -> DaskExecutor:
        """Connect to the scheduler at `address` (tcp://host:port) and pin BLAS on its workers."""
        try:
            client = Client(  # type: ignore[no-untyped-call]
                address, timeout=timeout_seconds, set_as_default=False
            )
        except (OSError, TimeoutError) as exc:
            raise ComputeError(
                f"compute.executor {address}: cannot reach the Dask scheduler ({exc}); "
                'start it (dask scheduler) or set compute.executor = "local"'
            ) from exc
        try:
            _warn_unpinned(client.run(blas_environment))  # as started, before the plugin
            client.register_plugin(PinBlasThreads())
        except BaseException:
            client.close()  # type: ignore[no-untyped-call]
            raise
        return cls(client)

    @property
    def client(self) -> Client:
        return self._client

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = self._executor.submit(fn, *args, **kwargs)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        try:
            self._executor.shutdown(wait=wait and not cancel_futures)
        finally:
            self._client.close()  # type: ignore[no-untyped-call]


def _warn_unpinned(environments: dict[str, dict[str, str | None]]) -> None:
    for worker, environment in sorted(environments.items()):
        unpinned = sorted(name for name, value in environment.items() if value != "1")
        if unpinned:
            log.warning(
                "Dask worker %s was started without %s=1: its BLAS may use every core "
                "and slow the other fits; start workers with them set to 1",
                worker,
                "=1, ".join(unpinned),
            )
