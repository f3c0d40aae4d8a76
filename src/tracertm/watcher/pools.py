"""The watch daemon's parse pools: forkserver workers (the daemon has threads, and a forked worker could inherit a
lock another thread held) that never run the program's main module, from a fork server of tracertm's own that
ends with the last ``Watcher`` of the process.

multiprocessing's own ``forkserver`` start method imports the main module again, as ``__mp_main__``: in its server
(it preloads ``__main__``) and in every worker it starts. A script that makes a ``Watcher`` without an
``if __name__ == "__main__":`` guard then starts a second daemon inside the server, which never answers; the first
sync waits for a worker for ever. The parse workers run tracertm's own functions only, so here they are started
without the main module (see ``_Popen``), from a server that preloads the parse module instead. That server, and
multiprocessing's resource tracker when a Watcher's pools started it, end when the last Watcher using them stops
(``release``); a later Watcher starts them again.

Start method names: ``acquire`` returns the name under which this context is registered with multiprocessing
(``multiprocessing.get_context(name)``, which the parse pool calls with the ``start_method`` that ``sync`` gets);
``"forkserver"`` where the machinery this relies on is missing.
"""

from __future__ import annotations

import copyreg
import io
import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.forkserver import ForkServer

START_METHOD = "tracertm-watch-forkserver"
PRELOAD = ["tracertm.engine.parse"]  # what every worker imports anyway: imported once, in the server

_lock = threading.Lock()
_users = 0  # running Watchers
_server: ForkServer | None = None
_server_lock = threading.Lock()  # not ``_lock``: a Watcher's pool starts workers while another Watcher stops
_registered: str | None = None  # START_METHOD once registered, "forkserver" where it cannot be
_tracker_was_running = True  # whether multiprocessing's resource tracker ran when the first Watcher started


def acquire() -> str:
    """A Watcher starts: the start method its parse pools use."""
    global _users, _tracker_was_running
    with _lock:
        method = _register()
        if _users == 0:
            _tracker_was_running = _tracker_running()
        _users += 1
        return method


def release() -> None:
    """A Watcher stopped (its last sync is over, its pools closed): when it was the last one, stop the fork server,
    and the resource tracker if it was not running before the first Watcher started and no other process of
    multiprocessing is left here. (The tracker is the process's: stopping it unlinks what is still registered with
    it. Something else that started using it while a Watcher ran, with no process of its own alive now, is not
    seen: a multiprocessing object it keeps past this point would lose its name.)"""
    global _users
    with _lock:
        _users = max(0, _users - 1)
        if _users:
            return
        if _server is not None:
            _stop(_server)
        if not _tracker_was_running and _tracker_running() and not _other_processes():
            # The pools' queues unregister their semaphores from the tracker as they are freed: before it stops,
            # or the first of them to go later would start a tracker again (to tell it something it never knew).
            import gc

            gc.collect()
            from multiprocessing import resource_tracker

            _stop(getattr(resource_tracker, "_resource_tracker", None))


def _stop(owner: object) -> None:
    """The private ``_stop()`` of multiprocessing's ForkServer and ResourceTracker (Python 3.8+): closes the pipe
    that keeps the process alive and waits for it to exit; the next ``ensure_running`` starts a new one."""
    stop = getattr(owner, "_stop", None)
    if stop is None:
        return
    try:
        stop()
    except (OSError, ChildProcessError):  # already gone (killed, or reaped by someone else)
        pass


def _other_processes() -> bool:
    """Whether processes started with multiprocessing (someone else's pool) are still alive in this process."""
    import multiprocessing

    return bool(multiprocessing.active_children())


def _tracker_running() -> bool:
    from multiprocessing import resource_tracker

    return getattr(getattr(resource_tracker, "_resource_tracker", None), "_fd", None) is not None


def _fork_server() -> ForkServer:
    global _server
    with _server_lock:
        if _server is None:
            from multiprocessing.forkserver import ForkServer

            server = ForkServer()
            server.set_forkserver_preload(list(PRELOAD))  # not "__main__": see the module's docstring
            _server = server
        return _server


def _register() -> str:
    """Register the context under ``START_METHOD`` (once); ``"forkserver"`` where that is not possible."""
    global _registered
    if _registered is not None:
        return _registered
    _registered = "forkserver"
    try:
        from multiprocessing import context, popen_forkserver, reduction, spawn, util
        from multiprocessing.forkserver import read_signed
    except ImportError:  # no fd passing (Windows): multiprocessing's own forkserver says why not
        return _registered
    contexts: dict[str, Any] | None = getattr(context, "_concrete_contexts", None)
    close_fds: Any = getattr(util, "close_fds", None)
    base: Any = getattr(context, "ForkServerContext", None)
    process: Any = getattr(context, "ForkServerProcess", None)
    if contexts is None or base is None or process is None or close_fds is None:
        return _registered

    class _Popen(popen_forkserver.Popen):
        """``popen_forkserver.Popen`` (CPython 3.11 to 3.14 launch a process alike), but the worker does not import
        the main module, and this module's fork server starts it."""

        def _launch(self, process_obj: Any) -> None:
            data = spawn.get_preparation_data(process_obj._name)
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
            buf = io.BytesIO()
            context.set_spawning_popen(self)
            try:
                reduction.dump(data, buf)
                reduction.dump(process_obj, buf)
            finally:
                context.set_spawning_popen(None)
            fds: list[int] = getattr(self, "_fds")  # noqa: B009 - set by popen_forkserver.Popen, not in its stub
            self.sentinel, w = _fork_server().connect_to_new_process(fds)
            # Keep a duplicate of the data pipe's write end as the child's sentinel of its parent (as CPython's).
            parent_w = os.dup(w)
            self.finalizer = util.Finalize(self, close_fds, (parent_w, self.sentinel))
            with open(w, "wb", closefd=True) as f:
                f.write(buf.getbuffer())
            self.pid = read_signed(self.sentinel)

    class _Process(process):  # type: ignore[misc]
        @staticmethod
        def _Popen(process_obj: Any) -> Any:  # noqa: N802 - multiprocessing's name
            return _Popen(process_obj)

        def __reduce__(self) -> tuple[Any, ...]:
            # Sent to the worker as the ForkServerProcess it is otherwise: a class of this module would import the
            # whole daemon (``tracertm.watcher``) in every worker, to run a parse.
            return copyreg._reconstructor, (process, object, None), self.__dict__  # type: ignore[attr-defined]

    class _Context(base):  # type: ignore[misc]
        Process = _Process

    contexts[START_METHOD] = _Context()
    _registered = START_METHOD
    return _registered
