"""Load the model in a background thread, so that a page is drawn before TensorFlow is imported.

Importing Keras/TensorFlow and loading and warming up the model takes seconds: most of a cold
first page. The app entry calls ``start`` once a script run is over, so the thread imports and
loads while the user looks at the page; ``result`` hands the model to the first page that needs
it (waiting if it is still loading). One load per folder is kept, the latest ``stamp``; a failed
load is not kept, so the next call tries again, as an uncached load would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["result", "start"]

T = TypeVar("T")
_LOCK = threading.Lock()
_LOADS: dict[str, tuple[float, Future[Any]]] = {}


def _failed(future: Future[Any]) -> bool:
    return future.done() and future.exception() is not None


def start(directory: str, stamp: float, load: Callable[[], T]) -> Future[T]:
    """The load of ``directory`` at ``stamp``: the running or finished one, else a new one
    started in a daemon thread (``load`` runs there; its exception is kept, not logged)."""
    with _LOCK:
        known = _LOADS.get(directory)
        if known is not None and known[0] == stamp and not _failed(known[1]):
            return known[1]
        future: Future[T] = Future()
        _LOADS[directory] = (stamp, future)
    thread = threading.Thread(
        target=_run, args=(future, load), name="crnn-model-preload", daemon=True
    )
    thread.start()
    return future


def _run(future: Future[T], load: Callable[[], T]) -> None:
    future.set_running_or_notify_cancel()
    try:
        future.set_result(load())
    except BaseException as exc:  # handed to whoever waits for the result
        future.set_exception(exc)


def result(directory: str, stamp: float, load: Callable[[], T]) -> T:
    """The loaded value (started now if no load of this folder and stamp is running)."""
    return start(directory, stamp, load).result()
