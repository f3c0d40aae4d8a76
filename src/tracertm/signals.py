"""Holding Ctrl-C and SIGTERM back over a step that must not be cut in two.

Their handlers raise (``KeyboardInterrupt``; the CLI's SIGTERM handler too) wherever Python is between two bytecodes.
Over a few steps that is wrong: inside a callback ``os.fork`` runs the exception is ignored and the interrupt lost
(the parse pool's start, ``engine.parse``); between a transaction's COMMIT and the caller learning of it, the
command says "nothing was written" of a run the database holds (``db.locks.write_session``). Held (blocked in this
thread), a signal is delivered when the block ends, in plain code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def held() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread for the block (nothing off POSIX). Python runs a signal's handler in
    the main thread only: held in another thread, a signal is handled there as ever."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):  # not POSIX
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


__all__ = ["held"]
