"""Stopping the points a sweep's workers are running when the sweep is cancelled.

The client sets a flag the workers can see: a file for workers on this machine (a
``concurrent.futures`` pool), a ``distributed.Event`` for a Dask cluster. Each point runs under
``run_cancellable``, whose watcher thread polls the flag and, once it is set, raises ``Cancelled``
in the point's thread; the external tools' runner (``fpgalab.verify.tools.run_tool``) catches it
while it reads the tool's output, kills the tool's process group and re-raises, so Yosys or
Verilator stop within a poll and the tool's next line of output.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
import threading
import uuid


class Cancelled(Exception):
    """The sweep this point belongs to was cancelled."""


class FileFlag:
    """A flag for workers on this machine (threads or processes): set once the file exists."""

    poll_seconds = 0.3  # a file's existence costs nothing to ask

    def __init__(self):
        folder = tempfile.gettempdir()
        self.path = os.path.join(folder, f"fpgalab-cancel-{os.getpid()}-{uuid.uuid4().hex}")

    def set(self) -> None:
        with open(self.path, "w"):
            pass

    def is_set(self) -> bool:
        return os.path.exists(self.path)

    def clear(self) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)


class DaskFlag:
    """A flag for the workers of a Dask cluster: a named ``distributed.Event`` on its scheduler."""

    poll_seconds = 1.0  # each running point asks the scheduler: once a second keeps a large cluster's load small

    def __init__(self, client):
        self.name = f"fpgalab-cancel-{uuid.uuid4().hex}"
        self._client = client  # the client side's; a worker finds its own (``get_client``)

    def __getstate__(self):
        return {"name": self.name, "_client": None}

    def _event(self):
        from distributed import Event  # noqa: PLC0415

        return Event(self.name, client=self._client) if self._client is not None else Event(self.name)

    def set(self) -> None:
        self._event().set()

    def is_set(self) -> bool:
        return self._event().is_set()

    def clear(self) -> None:
        self._event().clear()


def _raise_in(thread_id: int, exception) -> None:
    """Raise ``exception`` in the thread ``thread_id`` at its next Python instruction (None: take back
    one that has not been raised yet)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), exception)


def run_cancellable(fn, item, flag):
    """``fn(item)`` in this thread while a watcher stops it with ``Cancelled`` once ``flag`` is set."""
    if flag.is_set():
        raise Cancelled("the sweep was cancelled before this point started")
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}
    stop = threading.Event()

    def watch():
        while not stop.wait(flag.poll_seconds):
            try:
                cancelled = flag.is_set()
            except Exception:  # the flag's scheduler is going away: the sweep is over either way
                return
            if cancelled:
                with lock:
                    if not state["done"]:
                        state["fired"] = True
                        _raise_in(target, ctypes.py_object(Cancelled))
                return

    watcher = threading.Thread(target=watch, name="fpgalab-cancel-watch", daemon=True)
    watcher.start()
    try:
        return fn(item)
    finally:
        with lock:
            state["done"] = True
            if state["fired"]:
                _raise_in(target, None)  # not raised yet: raise it here instead, never in the worker's own code
        stop.set()
        if state["fired"]:
            raise Cancelled("the sweep was cancelled while this point ran")
