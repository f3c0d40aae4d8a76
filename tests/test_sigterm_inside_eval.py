"""A SIGTERM that lands while Python evaluates a string (SQLAlchemy evaluating a model's annotations on import,
``namedtuple`` building a class) stops the command with exit 143, as any SIGTERM does. CPython 3.11 notes a
KeyboardInterrupt that leaves a string ``eval`` as unhandled even when ``main`` catches it, and ended the process
by SIGINT instead (-2, 130 in a shell), once in 20-30 kills of a starting backfill; an audit found it. Here the
signal is sent from inside an ``eval``, so it lands there every time. A process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from tracertm import cli

def handler(args):
    # The handler raises KeyboardInterrupt inside the eval (``os.kill`` to itself is delivered before it returns).
    eval("__import__('os').kill(__import__('os').getpid(), 15) or [0 for _ in range(10 ** 9)]")
    return 0

parser_of = cli.build_parser

def build(verb):
    parser = parser_of(verb)
    parse = parser.parse_args

    def parse_args(argv):
        args = parse(argv)
        args.func = handler  # the verb's own work replaced by the eval above
        return args

    parser.parse_args = parse_args
    return parser

cli.build_parser = build
sys.argv = ["tracertm", "check"]
cli.run()
"""


def test_a_sigterm_inside_a_string_eval_exits_143(tmp_path: Path) -> None:
    # Run as ``python -m`` (as the ``tracertm`` script's ``run`` is): ``-c`` and a script path exit through
    # another of CPython's paths, which does not look at that note.
    (tmp_path / "stop_in_eval.py").write_text(SCRIPT)
    done = subprocess.run([sys.executable, "-m", "stop_in_eval"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)
    assert (done.returncode, done.stderr) == (143, "tracertm: terminated\n")
