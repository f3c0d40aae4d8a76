"""Templates (Jinja2, autoescaped, compiled once per process), their filters, and the headers every page carries."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import shlex
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from tracertm.api.deps import path_segment
from tracertm.repositories.projects import command
from tracertm.web.text import bidi_closed, valid_text
from tracertm.web.urls import project_seg, record_url, seg

COOKIE = "tracertm_token"
STATIC = "/static"
# Pages load nothing from elsewhere and run only the package's own script; nothing may frame them.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Pages change with every sync and may be behind a sign-in: no shared cache keeps them, browsers revalidate.
    "Cache-Control": "private, no-cache",
}


def _finalize(value: Any) -> Any:
    """Each ``{{ value }}`` of a template, before autoescaping: text closes what bidirectional controls it opens
    (``bidi_closed``); markup (a macro's, Markdown's) is built from values that already do."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return bidi_closed(value)
    return value


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tracertm.web", "templates"),
        autoescape=True,  # every template, whatever its name: titles and prose come from files anyone can commit
        undefined=StrictUndefined,
        auto_reload=False,  # templates ship inside the package: no stat() per render
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    # ``shell``: an argument of a command the page suggests, quoted so that it pastes as one (``FEAT-2/Refund
    # window``); autoescaping still applies to the result.
    env.filters.update(when=when, day=day, short=short, marked=marked, value=value, qs=query_string, seg=seg,
                       pseg=project_seg, shell=shlex.quote, machine=machine_time)
    env.globals["url_for_record"] = record_url
    # ``command``: a command about the page's project, naming it (``tracertm review --project NAME``): the server
    # cannot know which project the reader's folder would find.
    env.globals["command"] = command
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` with ``context`` (plus what the layout needs) and the security headers."""
    context.setdefault("json_url", None)
    context.setdefault("project", None)
    context.setdefault("crumbs", [])
    context.update(
        # Encoded as the pages' own links are (the request's path arrives decoded), for aria-current.
        static=STATIC, path=path_segment(request.url.path), signed_in=COOKIE in request.cookies,
        version=_version(),
    )
    html = valid_text(environment().get_template(template).render(**context))
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


@functools.cache
def _version() -> str:
    from tracertm._version import __version__

    return __version__


# ------------------------------------------------------------------------------------------------------ filters


def when(value: Any) -> str:
    """A timestamp to the minute, UTC (``2026-11-30 12:46 UTC``); ISO strings are accepted too."""
    if value is None or value == "":
        return "—"
    moment: Any = value
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.timezone.utc)
        return str(moment.strftime("%Y-%m-%d %H:%M UTC"))
    return str(moment)


def machine_time(value: Any) -> str:
    """A timestamp as a ``<time datetime>`` holds it: ISO 8601 to the second, or the millisecond when it has a
    fraction (HTML allows at most three digits; databases keep six), UTC when it has no zone (as ``when`` shows
    it). Empty for no timestamp."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return ""  # not a timestamp: no machine-readable time rather than an invalid one
    if not isinstance(value, dt.datetime):
        return "" if value is None else str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return str(value.isoformat(timespec="milliseconds" if value.microsecond else "seconds"))


def day(value: Any) -> str:
    if value is None:
        return "—"
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def short(commit: str | None) -> str:
    return (commit or "")[:12] or "—"


def marked(snippet: str | None) -> Markup:
    """A search snippet, which is HTML already: the record's text escaped by the search engine, only its own
    ``<mark>`` tags left (``search.engine.highlighted``), so what is not a mark is text."""
    # Each run of text between the marks closes its own bidirectional controls, as every value does (_finalize).
    parts = _MARKS.split(snippet or "")
    return Markup("".join(p if p in ("<mark>", "</mark>") else bidi_closed(p) for p in parts))  # noqa: S704


_MARKS = re.compile("(</?mark>)")


def value(v: Any) -> str:
    """A field value as text: enums by value, a list of texts comma-separated (``ADR-0006, ADR-0007``), other lists
    and mappings as compact JSON, None as a dash."""
    if v is None or v == [] or v == {}:
        return "—"
    if hasattr(v, "value") and not isinstance(v, (dict, list)):
        return str(v.value)
    if isinstance(v, list) and all(isinstance(item, str) and "," not in item for item in v):
        return ", ".join(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
    return str(v)


def query_string(params: dict[str, Any]) -> str:
    """``?a=1&b=2`` without the empty values (``""`` when none is left)."""
    kept = {k: v for k, v in params.items() if v not in (None, "", [])}
    return "?" + urlencode(kept, doseq=True) if kept else ""
