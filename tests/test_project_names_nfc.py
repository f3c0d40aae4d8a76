"""One project name, two Unicode spellings: a folder named ``café`` on macOS (or unpacked from an archive that
wrote it so) is decomposed — ``cafe`` and U+0301 (NFD) — and prints exactly as the precomposed ``café`` (NFC) a user
types. Project names are chosen, stored, looked up and locked in NFC (``text.name_form``): either spelling reaches
the one project, a database an older tracertm filled with an NFD name is renamed by migration 0038, and an error
that lists a name kept in another form escapes it."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from sqlalchemy import select, text, update

from apikit import api_client
from conftest import GitRepo, init_repo, run_cli
from tracertm import db
from tracertm.db.schema import SCHEMA_HEAD
from tracertm.models import Project

NFC = "café"
NFD = unicodedata.normalize("NFD", NFC)
FEATURE = "Feature: Pay\n  Scenario: One\n    Given a thing\n"


def names(url: str) -> list[str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(select(Project.name)).scalars())
    finally:
        engine.dispose()


def test_a_project_named_after_an_nfd_folder_is_one_project_either_spelling_reaches(
        tmp_path: Path, database_url: str) -> None:
    repo = init_repo(tmp_path / NFD)
    repo.write("features/pay.feature", FEATURE)
    repo.commit("one")
    assert repo.path.name == NFD  # (the file system keeps the name as given: Linux does not normalize)
    synced = run_cli("sync", str(repo.path), "--database-url", database_url)
    assert synced.returncode == 0, synced.stderr
    assert names(database_url) == [NFC]
    for typed in (NFC, NFD):  # what a user types, and what a shell completes from the folder
        shown = run_cli("status", "--project", typed, "--database-url", database_url)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.splitlines()[0] == f"project:     {NFC}"
    # The same name typed (--project) and derived from the folder again: still the one project, not two.
    repo.write("features/pay.feature", FEATURE + "    Then done\n")
    repo.commit("two")
    for argv in (["--project", NFD], ["--project", NFC], []):
        again = run_cli("sync", str(repo.path), "--database-url", database_url, *argv)
        assert again.returncode == 0, again.stderr
    assert names(database_url) == [NFC]
    with api_client(database_url) as client:
        for typed in (NFC, NFD):
            answer = client.get(f"/api/v1/projects/{typed}/features")
            assert answer.status_code == 200, answer.text
            assert [f["name"] for f in answer.json()["items"]] == ["Pay"]
            assert client.get("/api/v1/search", params={"q": "pay", "project": typed}).status_code == 200
            assert client.get(f"/api/v1/projects/{typed}").json()["name"] == NFC


def test_migration_0038_stores_names_in_nfc_and_leaves_two_spellings_of_two_projects(
        tmp_path: Path, database_url: str) -> None:
    """A database an older tracertm filled: a project named after an NFD folder (renamed), one whose former name is
    NFD (renamed in its metadata: a clone deriving it still finds it), and two projects that got both spellings of
    one name — left as they are, each reached by its exact spelling, the NFD one escaped where an error lists it."""
    repo = init_repo(tmp_path / "repo")
    repo.write("features/pay.feature", FEATURE)
    repo.commit("one")
    for name in ("older", "renamed", "twin-a", "twin-b"):
        assert run_cli("sync", str(repo.path), "--database-url", database_url, "--project", name).returncode == 0
    engine = db.make_engine(database_url)
    try:
        db.downgrade(engine, "0037")
        spelled = {"older": NFD, "renamed": "acme/new", "twin-a": NFD + "-twin", "twin-b": NFC + "-twin"}
        with engine.begin() as conn:
            for old, new in spelled.items():
                conn.execute(update(Project).where(Project.name == old).values(name=new))
            conn.execute(update(Project).where(Project.name == "acme/new")
                         .values(metadata_={"former_names": [NFD + "/old"]}))
        assert NFD in names(database_url)
        db.upgrade(engine)
        with engine.connect() as conn:
            rows = dict(conn.execute(select(Project.name, Project.metadata_)).all())
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
    finally:
        engine.dispose()
    assert sorted(rows) == sorted([NFC, "acme/new", NFD + "-twin", NFC + "-twin"])
    assert rows["acme/new"]["former_names"] == [NFC + "/old"]
    for typed in (NFD + "-twin", NFC + "-twin", NFC, NFD):
        shown = run_cli("status", "--project", typed, "--database-url", database_url)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.splitlines()[0] == f"project:     {typed if 'twin' in typed else NFC}"
    with api_client(database_url) as client:
        answer = client.get("/api/v1/features/pay")
        assert answer.status_code == 400
        assert answer.json()["detail"].startswith(
            "pay is in several projects (acme/new, 'cafe\\u0301-twin', café, café-twin); name the project")
    missing = run_cli("status", "--project", "nothing", "--database-url", database_url)
    assert missing.returncode == 2
    assert missing.stderr.strip() == ("tracertm: error: --project nothing: no such project in the database; known "
                                      "projects: acme/new, 'cafe\\u0301-twin', café, café-twin")


def test_a_record_whose_id_is_a_decomposed_file_name_is_found_by_its_typed_spelling(
        git_repo: GitRepo, database_url: str) -> None:
    """An untagged feature's id is its file's name, decomposed when macOS wrote it: ``show café`` (typed, NFC), the
    API's ``{id}`` and ``trace`` find it; a file of each spelling (Linux keeps both) is found by its exact one."""
    git_repo.write(f"features/{NFD}.feature", FEATURE)
    git_repo.commit("nfd")
    base = ["--path", str(git_repo.path), "--database-url", database_url]
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
    for verb in ("show", "trace", "history"):
        found = run_cli(verb, NFC, *base)
        assert found.returncode == 0, (verb, found.stderr)
    listed = run_cli("list", "scenarios", "--feature", NFC, "--format", "json", *base)
    assert [s["title"] for s in json.loads(listed.stdout)] == ["One"], listed.stderr
    with api_client(database_url) as client:
        answer = client.get(f"/api/v1/features/{NFC}", params={"project": "repo"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["source_path"] == f"features/{NFD}.feature"
    git_repo.write(f"features/{NFC}.feature", FEATURE.replace("Pay", "Other"))
    git_repo.commit("nfc too")
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
    for typed, title in ((NFC, "Other"), (NFD, "Pay")):
        shown = run_cli("show", typed, "--format", "json", *base)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["name"] == title
        listed = run_cli("list", "scenarios", "--feature", typed, "--format", "json", *base)
        assert [s["feature"] for s in json.loads(listed.stdout)] == [typed], listed.stderr


def test_a_project_named_after_a_decomposed_remote_is_renamed_after_the_next_remote_not_doubled(
        git_repo: GitRepo, database_url: str) -> None:
    """The remote's owner/name is read in NFC too (``git.remote_name``): a project named after a remote whose URL
    spells ``café`` decomposed is recognized as named after it, so ``git remote set-url`` renames it (one project,
    its history kept) instead of leaving it behind and starting a second."""
    git_repo.write("features/pay.feature", FEATURE)
    git_repo.commit("one")
    git_repo.git("remote", "add", "origin", f"https://example.com/acme/{NFD}.git")
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
    assert names(database_url) == [f"acme/{NFC}"]
    git_repo.git("remote", "set-url", "origin", "https://example.com/acme/tea.git")
    git_repo.write("features/pay.feature", FEATURE + "    Then done\n")
    git_repo.commit("two")
    synced = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert synced.returncode == 0, synced.stderr
    assert names(database_url) == ["acme/tea"]
