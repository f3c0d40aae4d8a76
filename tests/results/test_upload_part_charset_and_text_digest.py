"""A multipart ``file`` part's own ``Content-Type: application/xml; charset=...`` is honoured as a whole body's is
(RFC 7303); and a report is one report whatever encoding it comes in: imported as UTF-8 by the CLI and uploaded as
UTF-16 (or with a charset), either way round, the second is a duplicate of the first — while a UTF-8 report keeps
the digest of its bytes, so that runs imported before the text digest existed are still found."""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import pytest
from sqlalchemy import text
from test_upload_charset import client  # noqa: F401 - a fixture (the shop project, synced; a write token)

from tracertm import db
from tracertm.cli import main

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

RUNS = "/api/v1/projects/shop/test-runs"
REPORT = ('<testsuite name="s"><testcase classname="Café" name="crème brûlée"><failure message="ça"/>'
          '</testcase></testsuite>\n')


def _names(test_client: TestClient, answer: object) -> list[tuple[str, str | None]]:
    location = answer.headers["location"]  # type: ignore[attr-defined]
    return [(x["test"], x["message"]) for x in test_client.get(location).json()["results"]]


def test_a_part_is_read_in_the_charset_its_content_type_names(
    client: tuple[TestClient, dict[str, str]],  # noqa: F811
) -> None:
    test_client, write = client
    body = REPORT.encode("iso-8859-1")
    files = {"file": ("junit.xml", body, "application/xml; charset=ISO-8859-1")}
    answer = test_client.post(RUNS, files=files, headers=write)
    assert answer.status_code == 201, answer.text  # was 422: "malformed XML: not well-formed (invalid token)"
    assert _names(test_client, answer) == [("Café::crème brûlée", "ça")]
    # A JSON part in another charset is refused as a JSON body is, naming the part.
    refused = test_client.post(RUNS, files={"file": ("r.json", b"[]", "application/json; charset=utf-16")},
                               headers=write)
    assert refused.status_code == 415, refused.text
    assert refused.json()["detail"].startswith("multipart part 'r.json': Content-Type charset='utf-16'")
    # A part of no XML or JSON type (curl's default) is read as a file is: its charset is not looked at.
    utf8 = test_client.post(RUNS, files={"file": ("k.xml", REPORT.replace("ça", "k").encode(),
                                                  "application/octet-stream; charset=iso-8859-1")}, headers=write)
    assert utf8.status_code == 201, utf8.text
    assert _names(test_client, utf8) == [("Café::crème brûlée", "k")]


def _cli_import(path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["results", "import", str(path), "--database-url", database_url, "--project", "shop",
                 "--output", "json"]) == 0
    summary: dict[str, object] = json.loads(capsys.readouterr().out)
    return summary


def _utf8(report: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + report).encode()


def _send(test_client: TestClient, write: dict[str, str], upload: str, report: str) -> object:
    """``report`` uploaded re-encoded: UTF-16 with its byte order mark (as the body, or a part), or UTF-16LE without
    one in a part whose charset says so."""
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>\n' + report).encode("utf-16")
    if upload == "utf-16 body":
        return test_client.post(RUNS, content=utf16, headers={**write, "Content-Type": "application/xml"})
    if upload == "utf-16 part":
        return test_client.post(RUNS, files={"file": ("junit.xml", utf16, "application/xml")}, headers=write)
    body = ('<?xml version="1.0" encoding="UTF-16LE"?>\n' + report).encode("utf-16-le")
    return test_client.post(RUNS, files={"file": ("junit.xml", body, "text/xml; charset=utf-16le")}, headers=write)


@pytest.mark.parametrize("upload", ["utf-16 body", "utf-16 part", "charset part"])
def test_the_same_report_re_encoded_is_a_duplicate_either_way_round(
    client: tuple[TestClient, dict[str, str]],  # noqa: F811
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], upload: str,
) -> None:
    test_client, write = client
    path = tmp_path / "junit.xml"
    path.write_bytes(_utf8(REPORT))
    first = _cli_import(path, database_url, capsys)
    assert first["duplicate"] is False
    again = _send(test_client, write, upload, REPORT)
    assert again.status_code == 200, again.text  # type: ignore[attr-defined]  # was 201: a second run of it
    assert again.json()["summary"]["duplicate"] is True  # type: ignore[attr-defined]
    assert again.json()["run"]["id"] == first["run_id"]  # type: ignore[attr-defined]
    # The other way round (another report): the upload first, then the CLI's UTF-8 file.
    other = REPORT.replace("ça", "ça 2")
    uploaded = _send(test_client, write, upload, other)
    assert uploaded.status_code == 201, uploaded.text  # type: ignore[attr-defined]
    path.write_bytes(_utf8(other))
    second = _cli_import(path, database_url, capsys)
    assert second["duplicate"] is True
    assert second["run_id"] == uploaded.json()["run"]["id"]  # type: ignore[attr-defined]


def test_a_utf8_report_keeps_its_bytes_digest_and_a_run_from_before_is_still_found(
    client: tuple[TestClient, dict[str, str]],  # noqa: F811
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "junit.xml"
    path.write_bytes(_utf8(REPORT))
    first = _cli_import(path, database_url, capsys)
    engine = db.make_engine(database_url)
    try:
        with engine.begin() as connection:
            ident, stored, counts = connection.execute(text("SELECT id, digest, counts FROM test_runs")).one()
            # The run's digest is the one every earlier version stored: of the file's bytes.
            assert stored == hashlib.sha256(hashlib.sha256(_utf8(REPORT)).hexdigest().encode()).hexdigest()
            # A run imported before text digests were kept lists none: the same bytes must still be found by it.
            counts = json.loads(counts) if isinstance(counts, str) else counts
            assert "file_digests" in counts
            del counts["file_digests"]
            connection.execute(text("UPDATE test_runs SET counts = :c WHERE id = :i"),
                               {"c": json.dumps(counts), "i": ident})
    finally:
        engine.dispose()
    again = _cli_import(path, database_url, capsys)
    assert again["duplicate"] is True and again["run_id"] == first["run_id"]
