"""What a command line that needs no database loads: no SQLAlchemy, no models. Every command line but the hook's
builds the whole parser, every verb's ``register`` included (``cli.VERB_MODULES``: "imports only argparse-level
things at the top"); ``trace``'s imported ``trace.graph_pages`` for two constants, and with it the query layer,
SQLAlchemy's ORM and every model: ``tracertm --version`` loaded 478 modules (0.65 s of CPU). The constants now live
in ``trace.graph_limits``, which imports nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import GitRepo
from specs import feature

DUMP_MODULES = (
    "import json, sys\n"
    "from tracertm.cli import main\n"
    "try:\n"
    "    code = main(sys.argv[1:])\n"
    "except SystemExit as stop:\n"  # argparse's --help and --version
    "    code = stop.code\n"
    "print(json.dumps(sorted(sys.modules)))\n"
    "sys.exit(code)\n"
)
DATABASE_MODULES = ("sqlalchemy", "alembic", "pydantic", "tracertm.models", "tracertm.repositories", "psycopg")


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["trace", "--help"], ["steps", "--help"], ["steps"],
                                  ["check"]])
def test_a_command_line_without_a_database_loads_no_database_layer(git_repo: GitRepo, argv: list[str]) -> None:
    git_repo.write("features/pay.feature", feature(1, "Pay", {"Pay once": ["Given a cart"]}))
    git_repo.write("steps/cart_steps.py", "from behave import given\n\n\n@given('a cart')\ndef a_cart(context):\n"
                                          "    pass\n")
    git_repo.commit("seed")
    proc = subprocess.run([sys.executable, "-c", DUMP_MODULES, *argv], cwd=git_repo.path, capture_output=True,
                          text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    modules = json.loads(proc.stdout.strip().splitlines()[-1])
    loaded = sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in DATABASE_MODULES))
    assert loaded == [], (argv, loaded[:10])
