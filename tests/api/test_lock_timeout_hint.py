"""The API's 503 for a write that waited too long for the project's lock tells the client what it can do (send the
request again after ``Retry-After``), not the command's advice to raise ``lock_timeout`` in the configuration: the
server waits a fixed time and never reads that setting. The CLI keeps its own hint."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request

from tracertm.api import ApiSettings, create_app
from tracertm.db.locks import CONFIG_HINT, lock_timeout_message
from tracertm.errors import LockTimeoutError, TracertmError


def test_the_api_hint_is_to_retry_not_to_configure(engine: Any) -> None:
    message = lock_timeout_message(engine, "p", 60.0)
    assert message.endswith(CONFIG_HINT)  # what a command prints
    app = create_app(ApiSettings(), engine)
    scope = {"type": "http", "method": "PATCH", "path": "/api/v1/adrs/ADR-0001", "raw_path": b"/api/v1/adrs/ADR-0001",
             "query_string": b"", "headers": [], "app": app}
    answer = asyncio.run(app.exception_handlers[TracertmError](Request(scope), LockTimeoutError(message)))
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    detail = json.loads(answer.body)["detail"]
    assert "lock_timeout" not in detail and "configuration" not in detail, detail
    assert detail.startswith("project 'p': waited 60 s for the write lock held by another writer"), detail
    assert detail.endswith("nothing was written; send the request again after Retry-After seconds, or once that "
                           "writer has finished"), detail
