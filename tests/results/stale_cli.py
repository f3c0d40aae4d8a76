"""The command line as the coverage-staleness tests run it: in-process, exit 0 asserted, and ``coverage``'s stale
scenarios."""

from __future__ import annotations

import json

import pytest

from tracertm.cli import main


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """``tracertm ARGV``'s standard output; it must exit 0 (its standard error says why not)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def stale(capsys: pytest.CaptureFixture[str], *where: str) -> list[str]:
    """The scenarios ``coverage --format json`` (with ``where``'s options) lists as stale."""
    return [item["scenario"] for item in json.loads(cli(capsys, "coverage", "--format", "json", *where))["stale"]]
