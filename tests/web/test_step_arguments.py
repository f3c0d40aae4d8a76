"""The steps tables of the feature and scenario pages show each step's data table or doc string.

They showed a step's text only: "the ledger holds these postings:" with no postings, on the feature page nowhere
else (the scenario page has the Gherkin at its bottom). Now the argument sits below the step's text, a table laid out
as Gherkin lays it out, escaped — with step definitions synced (steps matched) and without; an outline's Examples
rows, whose arguments would be the template's with ``<placeholders>`` unfilled, show none.

Through a real ``tracertm serve`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
from webfixtures import main_of

from conftest import GitRepo
from served import serve

FEATURE = '''@FEAT-1
Feature: Ledger

  Background:
    Given the accounts:
      | account | kind  |
      | fees    | a\\|b  |

  @SC-1
  Scenario: posting
    When a posting is sent
      """json
      {"note": "<script>alert(1)</script>"}
      """
    Then the ledger holds these postings:
      | account           | amount |
      | merchant:moss     | 48.45  |
      | clearing:acquirer | -49.90 |

  @SC-2
  Scenario Outline: outline
    When <who> sends
      """
      from <who>
      """

    Examples:
      | who |
      | ann |
'''

STEPS_JS = r"""const { Given, When, Then } = require('@cucumber/cucumber');
Given('the accounts:', function accounts(table) {});
When('a posting is sent', function sent(doc) {});
When('{word} sends', function sends(who, doc) {});
Then('the ledger holds these postings:', function holds(table) {});
"""

TABLE = "| account           | amount |\n| merchant:moss     | 48.45  |\n| clearing:acquirer | -49.90 |"
BACKGROUND = "| account | kind |\n| fees    | a\\|b |"
DOC = '{"note": "<script>alert(1)</script>"}'


def _arguments(page: str) -> list[str]:
    return [html.unescape(a) for a in re.findall(r'<pre class="argument"><code>(.*?)</code></pre>', page, re.DOTALL)]


def test_steps_show_their_data_table_or_doc_string(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    import tracertm

    git_repo.write("features/ledger.feature", FEATURE)
    plain = git_repo.commit("the feature, no step definitions")
    git_repo.write("features/step_definitions/ledger.js", STEPS_JS)
    git_repo.commit("step definitions")
    for project, ref in (("plain", plain), ("matched", "HEAD")):
        result = tracertm.sync(git_repo.path, database_url=database_url, project=project, ref=ref)
        assert not result.errors, result.errors
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base:
        pages = {(project, path): httpx.get(f"{base}/projects/{project}/{path}", timeout=30)
                 for project in ("plain", "matched")
                 for path in ("features/FEAT-1", "features/FEAT-1/scenarios/SC-1", "features/FEAT-1/scenarios/SC-2")}
    for (project, path), answer in pages.items():
        assert answer.status_code == 200, (project, path, answer.text[:300])
        main = main_of(answer.text)
        assert "<script" not in main, (project, path)
        if not path.endswith("SC-2"):  # SC-1 (on the feature page: before SC-2's section), the background first
            sc1 = main.split('id="sc-2"')[0]
            assert _arguments(sc1) == [BACKGROUND, DOC, TABLE], (project, path, _arguments(sc1))
    # An outline: its template's doc string without steps matched; nothing on its Examples rows' steps.
    assert _arguments(main_of(pages[("plain", "features/FEAT-1/scenarios/SC-2")].text)) == [BACKGROUND, "from <who>"]
    matched = main_of(pages[("matched", "features/FEAT-1/scenarios/SC-2")].text)
    assert "ann sends" in matched and _arguments(matched) == [], matched
    # The steps were matched in one project and not in the other.
    assert "ledger.js:5" in main_of(pages[("matched", "features/FEAT-1")].text)
    assert "no step definitions synced" in main_of(pages[("plain", "features/FEAT-1")].text)
