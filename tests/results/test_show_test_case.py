"""``show`` and ``history`` open test cases by their id, which has the ``file::function`` shape of a step definition
id (pytest: ``tests/test_a.py::test_b``; JUnit: ``classname::name``)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.cli import main

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"


@pytest.fixture
def cart(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:
    shutil.copytree(HERE / "project" / "features", git_repo.path / "features", ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert main(["sync", "--ref", "HEAD"]) == 0
    yield git_repo


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_and_history_open_a_test_case_by_its_id(cart: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(capsys, "results", "import", str(FIXTURES / "surefire.xml"))[0] == 0
    code, out, err = _cli(capsys, "show", "com.example.CartTest::removesItem", "--format", "json")
    assert code == 0, err
    record = json.loads(out)
    assert (record["kind"], record["number"]) == ("test_case", "com.example.CartTest::removesItem")
    code, out, err = _cli(capsys, "history", "com.example.CartTest::removesItem", "--format", "json")
    assert code == 0, err
    assert [r["change"] for r in json.loads(out)] == ["created"]


def test_an_unknown_id_of_that_shape_is_one_line_naming_both_kinds(cart: GitRepo,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "show", "tests/test_a.py::test_missing")
    assert code != 0 and out == ""
    assert err.strip().splitlines() == [
        "tracertm: error: tests/test_a.py::test_missing: no step definition or test case with this id in project "
        "repo; see 'tracertm steps' or 'tracertm list test-cases' (ids are STEP-n, file::function or the test's id)"
    ]
    code, _, err = _cli(capsys, "show", "STEP-7")
    assert code != 0 and "STEP-7: no step definition or test case" in err
