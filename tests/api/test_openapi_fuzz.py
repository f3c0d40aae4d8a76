"""Schemathesis over the whole OpenAPI document, against the app on a synced sample project (SQLite, and
PostgreSQL when configured): no 5xx, every status code documented, every response matching its schema.

Examples are bounded per operation (and derandomized) so the run stays well under a minute on a shared machine.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, settings
from sample import sync_sample

from conftest import GitRepo
from tracertm import db, tokens
from tracertm.api import ApiSettings, create_app

MAX_EXAMPLES = 10


def test_every_operation_conforms(git_repo: GitRepo, database_url: str) -> None:
    # Operations are driven by hand (not schemathesis.pytest.from_fixture, which pytest 9 breaks), one Hypothesis
    # run per operation.
    from hypothesis import given

    sync_sample(git_repo, database_url)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session, session.begin():
            token, _ = tokens.create(session, "write", "fuzz")
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
        engine.dispose()
        # Schemathesis keeps one event-loop thread for every ASGI app until the process exits; a test that runs
        # after this one in the same process must not inherit it (a streamed results import forks only in a
        # process without other threads: tests/results/test_results_streamed.py).
        from schemathesis.python import asgi

        asgi._shutdown()
