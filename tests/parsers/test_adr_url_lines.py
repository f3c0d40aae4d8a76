"""A line of the key list that holds a URL is no ``Label: value`` pair at the URL's colon.

``See https://www.iaria.org/…/Tutorial.pdf`` under the H1 (joelparkerhenderson/architecture-decision-record's
Planguage template) was read as the label "See https" with the value "//www.iaria.org/…": stored so in
``adr_metadata.attributes`` and left out of the preamble. It is a line of the preamble, as a reader sees it; a label
before a URL (``Source: https://…``) is still a label.
"""

from __future__ import annotations

from tracertm.parsers.adr import parse

TEXT = """# Write requirements in Planguage

See https://example.org/conferences/planguage-tutorial.pdf
Source: https://example.org/templates/planguage
Visit http://example.org/ for more.

## Status

Accepted
"""


def test_a_url_in_a_line_is_not_a_label() -> None:
    result = parse("docs/adr/0004-planguage.md", TEXT.encode())
    assert result.warnings == ()
    metadata = result.records[0].fields["adr_metadata"]
    assert metadata["attributes"] == {"Source": "https://example.org/templates/planguage"}
    assert metadata["preamble"] == (
        "See https://example.org/conferences/planguage-tutorial.pdf\nVisit http://example.org/ for more."
    )
