"""Many independent points at once: here one after another, on a ``concurrent.futures`` pool, or on Dask.

    outcomes = run_points(fn, items, executor=None, workers=None, progress=None, title="synthesis")

``executor`` is None (serially, in this process), any ``concurrent.futures.Executor``, a
``distributed.Client``, or a Dask scheduler's address (``"tcp://host:8786"``: connected to for
the run, with a timeout of ``CONNECT_SECONDS``); ``workers=N`` instead starts a Dask
``LocalCluster`` of N single-threaded worker processes for the run and closes it after. ``fn``
must be importable by the workers (a module-level function) and so must ``items`` (picklable).

The outcomes come back in the order of ``items`` whatever order the points finish in; a point
that raised is an ``Outcome`` with its error, and the others go on. ``progress`` is told of each
point as it finishes: a function ``progress(done, total, label)``, False for nothing, or None for
a tqdm bar (tqdm's widget in a Jupyter kernel, text on a terminal's stderr, nothing otherwise).
Ctrl-C (or the kernel's stop button) cancels the points not started and stops the running ones
(``fpgalab.scale.cancel``), then raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import concurrent.futures
import logging
import sys
import time
from dataclasses import dataclass

from fpgalab.scale.cancel import DaskFlag, FileFlag, run_cancellable
from fpgalab.scale.progress import progress_reporter

CONNECT_SECONDS = 3.0  # how long to try a scheduler's address before saying it cannot be reached
GRACE_SECONDS = 5.0  # after a cancel, how long running points get to stop before the cluster is closed
INSTALL = "Dask is not installed: pip install 'fpgalab[dask]' (dask[distributed] and tqdm)"


class SchedulerUnreachable(ConnectionError):
    """No Dask scheduler answered at the address given as ``executor``."""


@dataclass(frozen=True)
class Outcome:
    """What one point gave: its ``value``, or the ``error`` it raised (``"TypeName: message"``)."""

    value: object = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _failed(err: BaseException) -> Outcome:
    return Outcome(error=f"{type(err).__name__}: {err}")


def run_points(fn, items, labels=None, executor=None, workers=None, progress=None, title="points") -> list[Outcome]:
    """``fn`` over ``items`` on the executor ``executor`` / ``workers`` describe; see the module docstring."""
    items = list(items)
    labels = [str(i) for i in range(len(items))] if labels is None else [str(label) for label in labels]
    backend = resolve(executor, workers)  # bad arguments fail before any bar is shown
    report = progress_reporter(progress, len(items), title)
    try:
        with backend:
            return backend.run(fn, items, labels, report)
    finally:
        report.close()


def resolve(executor, workers):
    """The backend ``executor`` and ``workers`` name; a ``ValueError`` for anything else."""
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a number of worker processes, 1 or more, got {workers!r}")
        if executor is not None:
            raise ValueError(
                "give executor= or workers=, not both: workers=N starts a local Dask cluster of N workers, "
                "executor= runs on the executor or cluster you give"
            )
        return _DaskBackend(workers=workers)
    if executor is None:
        return _SerialBackend()
    if isinstance(executor, str):
        if "://" not in executor:
            raise ValueError(
                f"executor {executor!r} is no Dask scheduler address; give one with its protocol, "
                "such as 'tcp://10.0.0.5:8786'"
            )
        return _DaskBackend(address=executor)
    if _is_dask_client(executor):
        return _DaskBackend(client=executor)
    if isinstance(executor, concurrent.futures.Executor):
        return _PoolBackend(executor)
    raise ValueError(
        f"executor must be None, a concurrent.futures.Executor, a dask.distributed.Client or a scheduler "
        f"address such as 'tcp://host:8786', got {type(executor).__name__}"
    )


def _is_dask_client(executor) -> bool:
    distributed = sys.modules.get("distributed")  # a Client exists only once distributed is imported
    return distributed is not None and isinstance(executor, distributed.Client)


class _SerialBackend:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def run(self, fn, items, labels, report) -> list[Outcome]:
        outcomes = []
        for item, label in zip(items, labels):
            try:
                outcomes.append(Outcome(fn(item)))
            except Exception as err:
                outcomes.append(_failed(err))
            report(len(outcomes), label)
        return outcomes


def _collect(futures, finished, outcome_of, labels, report) -> list[Outcome]:
    """The outcomes in the order of ``futures`` while ``finished`` yields them as they finish."""
    index = {id(future): k for k, future in enumerate(futures)}
    outcomes: list = [None] * len(futures)
    for done, future in enumerate(finished, start=1):
        k = index[id(future)]
        outcomes[k] = outcome_of(future)
        report(done, labels[k])
    return outcomes


class _PoolBackend:
    """A ``concurrent.futures`` executor of the caller's (threads or processes on this machine)."""

    def __init__(self, pool):
        self.pool = pool

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def run(self, fn, items, labels, report) -> list[Outcome]:
        flag = FileFlag()
        futures = [self.pool.submit(run_cancellable, fn, item, flag) for item in items]
        try:
            return _collect(futures, concurrent.futures.as_completed(futures), _pool_outcome, labels, report)
        except KeyboardInterrupt:
            flag.set()
            for future in futures:
                future.cancel()
            concurrent.futures.wait(futures, timeout=GRACE_SECONDS)
            raise
        finally:
            if all(future.done() for future in futures):  # else the running points still need to see it
                flag.clear()


def _pool_outcome(future) -> Outcome:
    try:
        return Outcome(future.result())
    except Exception as err:
        return _failed(err)


class _DaskBackend:
    """A Dask cluster: the caller's client, a scheduler at an address, or a LocalCluster of ``workers``."""

    def __init__(self, client=None, address=None, workers=None):
        self.client, self.address, self.workers = client, address, workers
        self._owned = []  # what this backend started and closes: its client, its cluster

    def __enter__(self):
        try:
            import distributed  # noqa: PLC0415
        except ImportError:
            raise ImportError(INSTALL) from None
        if self.workers is not None:
            cluster = distributed.LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # a free port: never clashes with another cluster's 8787
                silence_logs=logging.ERROR,
            )
            self._owned.append(cluster)
            try:
                self.client = distributed.Client(cluster, set_as_default=False)
            except BaseException:
                cluster.close()
                raise
            self._owned.insert(0, self.client)
        elif self.address is not None:
            self.client = connect(self.address)
            self._owned.append(self.client)
        return self

    def __exit__(self, *exc):
        for thing in self._owned:
            thing.close()
        self._owned = []
        return False

    def run(self, fn, items, labels, report) -> list[Outcome]:
        import distributed  # noqa: PLC0415

        flag = DaskFlag(self.client)
        futures = [self.client.submit(run_cancellable, fn, item, flag, pure=False) for item in items]
        try:
            return _collect(
                futures, distributed.as_completed(futures, loop=self.client.loop), _dask_outcome, labels, report
            )
        except KeyboardInterrupt:
            flag.set()  # the running points stop at their next check; the others are dropped
            deadline = time.monotonic() + GRACE_SECONDS  # then those still running are dropped too
            while not all(f.done() for f in futures) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.client.cancel(futures)
            raise
        finally:
            self.client.cancel([f for f in futures if not f.done()])


def _dask_outcome(future) -> Outcome:
    if future.status == "finished":
        return Outcome(future.result())
    try:
        error = future.exception()
    except Exception as err:  # cancelled, or the scheduler lost it
        error = err
    return _failed(error)


def connect(address: str, timeout: float = CONNECT_SECONDS):
    """A ``distributed.Client`` of the scheduler at ``address``; ``SchedulerUnreachable`` within
    ``timeout`` seconds when none answers there."""
    try:
        import distributed  # noqa: PLC0415
    except ImportError:
        raise ImportError(INSTALL) from None
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise SchedulerUnreachable(
            f"no Dask scheduler answered at {address} within {timeout:g} s ({type(err).__name__}). Check that "
            f"`dask scheduler` runs on that host and listens on that port, that the port is open from this "
            f"machine, and that workers were started with `dask worker {address}`"
        ) from None
