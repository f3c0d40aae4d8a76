"""``tracertm token revoke`` takes the prefix as ``token list`` prints it, ``trtm_AbCdEfG…`` with its ellipsis
(copied from the list it was "no such token"), and a blank ``ID`` is one line saying what to give."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli


def test_revoke_the_prefix_as_token_list_shows_it(tmp_path: Path) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'specs.db'}"]
    assert run_cli("token", "create", "--scope", "read", "--label", "dash", *url).returncode == 0
    listed = run_cli("token", "list", *url).stdout.splitlines()[1].split()[0]
    assert listed.endswith("…")

    revoked = run_cli("token", "revoke", listed, *url)

    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.startswith(f"revoked {listed}")
    assert run_cli("token", "list", "--format", "json", *url).stdout.count('"revoked_at": null') == 0


def test_blank_token_id(tmp_path: Path) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'specs.db'}"]
    assert run_cli("token", "create", "--scope", "read", *url).returncode == 0
    result = run_cli("token", "revoke", " ", *url)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "tracertm: error: ID: blank; give the id or the prefix 'tracertm token list' shows"
    ]


def test_revoke_the_token_itself(tmp_path: Path) -> None:
    """The token pasted where its prefix was asked for (the one value the user kept) was "no such token"."""
    url = ["--database-url", f"sqlite:///{tmp_path / 'specs.db'}"]
    created = run_cli("token", "create", "--scope", "read", *url)
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("trtm_") and "…" not in token

    revoked = run_cli("token", "revoke", token, *url)

    assert revoked.returncode == 0, revoked.stderr
    assert run_cli("token", "list", "--format", "json", *url).stdout.count('"revoked_at": null') == 0
    assert run_cli("token", "revoke", token[:-1] + ("A" if token[-1] != "A" else "B"), *url).returncode == 2
