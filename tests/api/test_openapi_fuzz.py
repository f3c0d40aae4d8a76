"""Schemathesis over the whole OpenAPI document, against the app on a synced sample project (SQLite, and
PostgreSQL when configured): no 5xx, every status code documented, every response matching its schema.

Examples are bounded per operation (and derandomized) so the run stays well under a minute on a shared machine;
``TRACERTM_FUZZ_EXAMPLES=200`` runs longer (not in the suite).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, settings
from sample import sync_sample

from apikit import make_token
from conftest import GitRepo
from tracertm import db
from tracertm.api import ApiSettings, create_app

MAX_EXAMPLES = int(os.environ.get("TRACERTM_FUZZ_EXAMPLES", "10"))


@pytest.mark.slow
def test_every_operation_conforms(git_repo: GitRepo, database_url: str) -> None:
    # Operations are driven by hand (not schemathesis.pytest.from_fixture, which pytest 9 breaks), one Hypothesis
    # run per operation.
    from hypothesis import given

    sync_sample(git_repo, database_url)
    engine = db.make_engine(database_url)
    try:
        token = make_token(engine)
        schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ApiSettings(), engine))
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30, "every route is in the document"
        for operation in operations:
            # Writes with the token, so that their bodies are checked and not only the 401 (test-run uploads too).
            headers = {"Authorization": f"Bearer {token}"} if operation.method.upper() in ("PATCH", "POST") else {}

            @given(case=operation.as_strategy())
            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case) -> None:  # type: ignore[no-untyped-def]
                # Not "positive data acceptance": a schema-valid value can still name nothing or be refused with a
                # documented 400 (an unknown status, a stale cursor); every other check runs, 5xx included.
                case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

            check()
    finally:
        _stop_asgi_portal()
        engine.dispose()


def _stop_asgi_portal() -> None:
    """End the event-loop thread schemathesis keeps for ASGI calls (it would otherwise live until the worker exits,
    and a process with another thread does not fork: ``tracertm.results.streamed`` tests in the same worker would
    import in-process instead). Its shutdown is private API: if a release renames it, this fails here, not there."""
    import threading

    from schemathesis.python import asgi

    asgi._shutdown()
    left = [t.name for t in threading.enumerate() if t is not threading.current_thread() and t.is_alive()
            and "portal" in t.name.lower()]
    assert not left, f"schemathesis left its ASGI thread running: {left}"
