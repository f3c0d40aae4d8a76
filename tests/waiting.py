"""Waiting in tests for a condition a process, a server or the database shows: never for a time guessed from how
fast the machine is."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def until(condition: Callable[[], bool], what: str, limit: float) -> None:
    """Return once ``condition()`` holds; fail the test (``no {what} within {limit} s``) when it has not after
    ``limit`` seconds, an upper bound, never a pace."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {limit:g} s")
        time.sleep(0.02)  # polling interval, not a guess at how long anything takes
