"""``/docs`` is Swagger UI, a page of JavaScript from a CDN: without JavaScript (a text browser, a blocked CDN) it
was blank. It now says so and links the OpenAPI document and the pages, under the app's ``root_path`` too."""

from __future__ import annotations

import re
from typing import Any

from apikit import api_client


def test_docs_link_the_openapi_document_and_the_pages_without_javascript(engine: Any) -> None:
    for root in ("", "/trm"):
        with api_client(engine, raise_server_exceptions=True, root_path=root) as client:
            answer = client.get("/docs")
            assert answer.status_code == 200, answer.text
            (fallback,) = re.findall(r"<noscript>(.*?)</noscript>", answer.text, re.S)
            links = re.findall(r'href="([^"]+)"', fallback)
            assert links == [f"{root}/openapi.json", f"{root}/"], fallback
            for link in links:
                assert client.get(link.removeprefix(root) or "/").status_code == 200, link
