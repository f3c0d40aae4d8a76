"""``/docs``: the interactive OpenAPI page (Swagger UI), served here rather than by FastAPI's ``docs_url``.

It runs on the same origin as the pages and the API, so what it loads is pinned: one exact swagger-ui-dist
release from jsDelivr with Subresource Integrity (a changed or compromised file is refused by the browser, never
run with the reader's cookie and origin), and a Content-Security-Policy that allows scripts and styles from that
CDN alone (plus the one inline script that starts it, by its hash), nothing framing the page, no sniffing.
FastAPI's ``get_swagger_ui_html`` writes neither ``integrity`` nor these headers. ReDoc is not served.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json

from fastapi import Request
from fastapi.responses import HTMLResponse

CDN = "https://cdn.jsdelivr.net"
SWAGGER_UI_VERSION = "5.35.0"
_DIST = f"{CDN}/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}"
# sha384 of the files in the npm registry's tarball of swagger-ui-dist 5.35.0 (jsDelivr serves those bytes):
# ``npm pack swagger-ui-dist@5.35.0`` then ``openssl dgst -sha384 -binary FILE | base64``. Changing the version
# means recomputing both.
SWAGGER_JS = (f"{_DIST}/swagger-ui-bundle.js",
              "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9")
SWAGGER_CSS = (f"{_DIST}/swagger-ui.css",
               "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I")


def _start_script(openapi_url: str) -> str:
    """The inline script that starts Swagger UI on ``openapi_url`` (no validator badge: it would call out)."""
    config = json.dumps({"url": openapi_url, "dom_id": "#swagger-ui", "validatorUrl": None})
    # ``<`` escaped: the JSON sits inside a <script> element, where "</script>" would end it.
    config = config.replace("<", "\\u003c")
    return ("const config = " + config + ";\n"
            "config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];\n"
            "window.ui = SwaggerUIBundle(config);\n")


def headers(script: str) -> dict[str, str]:
    """The docs page's security headers; ``script`` is its one inline script, allowed by its sha256. Inline styles
    are allowed: Swagger UI's components write some (styles run no code, unlike scripts)."""
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return {
        "Content-Security-Policy": f"default-src 'none'; script-src {CDN} 'sha256-{digest}'; "
        f"style-src {CDN} 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        # The CDN learns nothing of the page's URL; nothing of it is sent anywhere but here.
        "Referrer-Policy": "same-origin",
        "Cache-Control": "private, no-cache",
    }


def swagger_ui(request: Request) -> HTMLResponse:
    """The Swagger UI page for the app's OpenAPI document (under the app's ``root_path`` when it has one)."""
    root = str(request.scope.get("root_path", ""))
    openapi_url = root + str(request.app.openapi_url or "/openapi.json")
    home = root + "/"
    script = _start_script(openapi_url)
    title = html.escape(f"{request.app.title} API")
    (js, js_hash), (css, css_hash) = SWAGGER_JS, SWAGGER_CSS
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{css}" integrity="{css_hash}" crossorigin="anonymous">
</head>
<body>
<noscript><p>This page is Swagger UI, which needs JavaScript (from {CDN}). Without it: the API's description is
<a href="{html.escape(openapi_url)}">the OpenAPI document</a>, and people read
<a href="{html.escape(home)}">the pages</a>.</p></noscript>
<div id="swagger-ui"></div>
<script src="{js}" integrity="{js_hash}" crossorigin="anonymous"></script>
<script>{script}</script>
</body>
</html>
"""
    return HTMLResponse(page, headers=headers(script))


__all__ = ["SWAGGER_UI_VERSION", "swagger_ui"]
