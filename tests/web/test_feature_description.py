"""A feature page shows the whole description of the feature, in the file's words.

The page used to show either the user story (``as_a``, ``i_want``, ``so_that``) or the description: a feature with
a story lost every other line of its description from the page (and nowhere else on it held them), and the story was
retold from the fields — ``As a shopper`` shown as "As shopper", ``In order to save time`` as "so that save time".

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

FEATURE = """@FEAT-3
Feature: Refund <b>fast</b>
  As an "ops" agent <i>on call</i>
  I want to refund a payment in one step
  In order to save the customer a second call

  Refunds over **500 EUR** need a second approver.
  See the [refund policy](https://example.com/policy) and <script>alert(1)</script>.

  @SC-1
  Scenario: refund
    Given a paid order
"""

PLAIN = """@FEAT-4
Feature: No story
  Only **prose** here.

  Scenario: one
    Given a paid order
"""


def test_the_feature_page_shows_the_story_as_written_and_the_rest_of_the_description(
        git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    import tracertm

    git_repo.write("features/refund.feature", FEATURE)
    git_repo.write("features/plain.feature", PLAIN)
    git_repo.commit("seed")
    result = tracertm.sync(git_repo.path, database_url=database_url, project="shop", ref="HEAD")
    assert not result.errors, result.errors
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base:
        answer = httpx.get(f"{base}/projects/shop/features/FEAT-3", timeout=30)
        plain = httpx.get(f"{base}/projects/shop/features/FEAT-4", timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    main = main_of(answer.text)
    story = re.search(r'<p class="story" dir="auto">(.*?)</p>', main, re.DOTALL)
    assert story, main
    # The story's lines as the file has them (article and keywords included), each on its own line, escaped.
    assert [html.unescape(line) for line in story.group(1).split("<br>")] == [
        'As an "ops" agent <i>on call</i>', "I want to refund a payment in one step",
        "In order to save the customer a second call",
    ], story.group(1)
    # The rest of the description: Markdown, below the story; its raw HTML as text.
    prose = main[story.end():main.index('id="scenarios"')]
    assert '<div class="prose" dir="auto">' in prose, prose
    assert "<strong>500 EUR</strong>" in prose and '<a href="https://example.com/policy">refund policy</a>' in prose
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in prose and "<script" not in main
    assert "As an" not in prose and "I want" not in prose, "the story is not shown twice"
    # A description without a story: only the prose, as before.
    assert plain.status_code == 200
    plain_main = main_of(plain.text)
    assert 'class="story"' not in plain_main and "<p>Only <strong>prose</strong> here.</p>" in plain_main


def test_a_story_paragraph_is_taken_whole_and_the_other_paragraphs_stay_prose() -> None:
    from tracertm.web.feature_text import story_and_rest

    description = ("Intro **text**.\n\nAs a shopper\nI want to pay\nSo that the merchant ships\n  my order today\n\n"
                   "- a rule\n- another")
    assert story_and_rest(description) == (
        ["As a shopper", "I want to pay", "So that the merchant ships", "my order today"],
        "Intro **text**.\n\n- a rule\n- another",
    )
    assert story_and_rest(None) == ([], "") and story_and_rest("Only prose.") == ([], "Only prose.")
