"""``tracertm watch`` checks the database URL of its command line or environment when it starts, as every command
that writes does: an audit found it syncing a whole workspace into an in-memory SQLite database (``sqlite://``,
gone at exit, which ``sync`` refuses), and running on with every repository parked for a URL of no driver
(``foo://x``), saying that a change of their files would bring them back. A process of its own, ended whatever
happens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from conftest import GitRepo
from specs import adr


@pytest.mark.parametrize(("option", "env", "line"), [
    (["--database-url", "sqlite://"], None, "--database-url: sqlite:// is an in-memory SQLite database"),
    (["--database-url", "sqlite:///:memory:"], None, "--database-url: sqlite:///:memory: is an in-memory SQLite"),
    (["--database-url", "foo://x"], None, "--database-url: unsupported database scheme 'foo'"),
    ([], "sqlite://", "$TRACERTM_DATABASE_URL: sqlite:// is an in-memory SQLite database"),
    (["--database-url", "sqlite:///{repo}/notes.txt"], None,
     "--database-url: sqlite:///{repo}/notes.txt is not a SQLite (tracertm) database (file is not a database)"),
    ([], "sqlite:///{repo}/notes.txt",
     "$TRACERTM_DATABASE_URL: sqlite:///{repo}/notes.txt is not a SQLite (tracertm) database"),
])
def test_an_unusable_url_is_one_line_at_start(git_repo: GitRepo, option: list[str], env: str | None,
                                              line: str) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write("notes.txt", "not a database\n")  # (a file that is none: it ran on, retrying it as one down)
    git_repo.commit()
    option = [o.format(repo=git_repo.path) for o in option]
    env, line = (None if env is None else env.format(repo=git_repo.path)), line.format(repo=git_repo.path)
    environment = {k: v for k, v in os.environ.items() if k != "TRACERTM_DATABASE_URL"}
    if env is not None:
        environment["TRACERTM_DATABASE_URL"] = env
    process = subprocess.Popen([sys.executable, "-m", "tracertm", "watch", str(git_repo.path), *option],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
                               start_new_session=True)
    try:
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # the old daemon ran on: end it and what it started
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 2 and err.startswith(f"tracertm: error: {line}") and len(err.splitlines()) == 1, err
