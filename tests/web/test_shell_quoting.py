"""A command a page suggests pastes as it is: a scenario id with spaces (a scenario without an id tag is named by its
title) is quoted for the shell, then escaped for HTML like any text."""

from __future__ import annotations

from tracertm.web.render import environment


def test_the_shell_filter_quotes_an_argument_and_the_page_escapes_it() -> None:
    template = environment().from_string("<code>tracertm review {{ ref|shell }}</code>")
    assert template.render(ref="FEAT-2/SC-10") == "<code>tracertm review FEAT-2/SC-10</code>"
    assert template.render(ref="FEAT-2/Refund window has closed") == (
        "<code>tracertm review &#39;FEAT-2/Refund window has closed&#39;</code>")
    assert "<b>" not in template.render(ref="FEAT-2/<b>x</b>")


def test_the_link_rows_use_it() -> None:
    from pathlib import Path

    import tracertm.web

    macros = (Path(tracertm.web.__file__).parent / "templates" / "macros.html").read_text()
    assert "{{ command(\"review\", project=project) }} {{ link.source.id|shell }}" in macros
