"""How the errors of a results import name its options: as ``tracertm results import`` spells them on the command
line (``--format``), or as the API takes them when the import is an upload (``?format=``, the query parameter or
multipart field of ``POST /api/v1/projects/{project}/test-runs``).

An error is worded where it is found, deep in a report's parser, which does not know who asked: the API runs its
imports inside ``api_names()``, and every message that names an option asks ``option()`` for its name there. A
message naming ``--format`` answered an upload, whose client has no such option.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# The API's name of each option of ``results import`` an import's error may name. The size limit of one report is
# the server's (a client cannot raise it); the others are the upload's query parameters (or multipart fields).
API_NAMES = {
    "--format": "?format=",
    "--commit": "?commit=",
    "--run-name": "?run_name=",
    "--max-size": "tracertm serve --max-report-size",
}
_IN_API: ContextVar[bool] = ContextVar("tracertm_results_in_api", default=False)


def option(name: str) -> str:
    """``name`` (an option of ``results import``, one of ``API_NAMES``) as the import's caller spells it."""
    return API_NAMES[name] if _IN_API.get() else name


@contextmanager
def api_names() -> Iterator[None]:
    """Within the block (this thread's context), errors name options as the API takes them."""
    token = _IN_API.set(True)
    try:
        yield
    finally:
        _IN_API.reset(token)
