"""The sample project as the web view shows it: two commits of history (ADR-0006 edited by a second author),
step definitions, an imported test run (one pass, one failure), an approval through the ORM, and optionally an ADR
with a hostile title. Everything through the real library: git, sync, results import, repositories."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from conftest import SAMPLE_REPO, GitRepo

STEPS_JS = r"""const { Given, When, Then } = require('@cucumber/cucumber');

Given('the merchant {string} accepts payments in {string}', function merchant(name, currency) {});
Given("the card vault returns the token {string} for the shopper's card", function vault(token) {});
When('the shopper pays {float} EUR with idempotency key {string}', function pays(amount, key) {});
Then('the payment is {string}', function payment(state) {});
"""

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="Cucumber" tests="2" failures="1" errors="0" skipped="0" timestamp="2026-11-30T09:00:00.000Z">
<testcase classname="Pay with a card" name="Successful payment is authorized and captured" time="0.010"/>
<testcase classname="Pay with a card" name="Retrying with the same idempotency key does not charge twice" time="0.020">
<failure message="second authorization sent">AssertionError: second authorization sent</failure>
</testcase>
</testsuite>
"""

HOSTILE_TITLE = '<script>alert("t")</script> & <b>bold</b>'
HOSTILE_ADR = f"""# 9. {HOSTILE_TITLE}

Date: 2024-05-01

## Status

Proposed

## Context

<img src=x onerror="alert(1)"> "quoted" & unescaped <script>alert(2)</script>

## Decision

Nothing.

## Consequences

See [the ledger decision](0006-event-sourced-ledger-on-postgresql.md#decision), [the same from the
top](/docs/adr/0006-event-sourced-ledger-on-postgresql.md), [the read-me](../../README.md), [a file out of the
repository](../../../../etc/passwd), [a script](javascript:alert(3)), [the web](https://example.com/ledger) and
![a diagram](https://example.com/d.png).

# A heading in the file

| kind | figure |
|---|---|
| **bold** | `code` |
"""

# Text a record may hold and a page must still be valid around: controls HTML forbids (BEL, VT, ESC, DEL), a
# right-to-left override never closed (in the title, the prose and a code span), right-to-left script, a word
# longer than any column, and a Markdown heading three levels below its section (### under ## Consequences).
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 12
HOSTILE_TEXT_PATH = "docs/adr/0010-hostile-text.md"
HOSTILE_TEXT = f"""# 10. Override \u202eright-to-left\u202c and \u202eunclosed

Date: 2024-05-02

## Status

Proposed

## Context

Bell\x07 vertical-tab\x0b escape\x1b[31m delete\x7f; `code \u202eopen` and \u2067isolate, then zanzibar; {LONG_WORD}

\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \U0001f4b3

## Decision

Keep it.

## Consequences

### Positive

Readable.
"""

ADR6 = "docs/adr/0006-event-sourced-ledger-on-postgresql.md"
EDITED_WORDS = "append-only journal reviewed quarterly"


@dataclass
class Built:
    project: str
    first: str  # commit of the sample
    second: str  # commit editing ADR-0006


def new_repo(path: Path) -> GitRepo:
    """An empty git repository at ``path`` (created), on ``main``, commits unsigned."""
    repo = GitRepo(path)
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "commit.gpgsign", "false")
    return repo


def build(repo: GitRepo, database_url: str, project: str = "sample", hostile: bool = False) -> Built:
    import tracertm
    from tracertm import db
    from tracertm.repositories import Projects, Records
    from tracertm.results import import_results

    shutil.copytree(SAMPLE_REPO, repo.path, dirs_exist_ok=True)
    repo.write("features/step_definitions/pay.js", STEPS_JS)
    if hostile:
        repo.write("docs/adr/0009-hostile.md", HOSTILE_ADR)
    first = repo.commit("sample", date="2026-11-01T10:00:00+00:00")
    result = tracertm.sync(repo.path, database_url=database_url, project=project, ref="HEAD")
    assert not result.errors, result.errors

    text = repo.read(ADR6)
    assert "## Decision" in text
    repo.write(ADR6, text.replace("## Decision\n", f"## Decision\n\nThe ledger is an {EDITED_WORDS}.\n", 1))
    second = repo.commit("ADR-0006: say how the journal is reviewed", author="Bo Reviewer <bo@example.com>",
                         date="2026-11-15T10:00:00+00:00")
    result = tracertm.sync(repo.path, database_url=database_url, project=project, ref="HEAD")
    assert not result.errors, result.errors

    report = repo.path.parent / "junit.xml"
    report.write_text(JUNIT, encoding="utf-8")
    summary = import_results(database_url, project, [str(report)], commit=second, run_name="ci-42")
    assert summary is not None

    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session, session.begin():
            adrs = Records(session, "adr")
            row = adrs.get("ADR-0006", Projects(session).get(project))
            adrs.update(row, {"approved_by": "Carol Architect"}, row.version, "api:carol")
    finally:
        engine.dispose()
    return Built(project, first, second)
