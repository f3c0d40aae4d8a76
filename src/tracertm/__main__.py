"""``python -m tracertm`` and the ``tracertm`` console script (pyproject's ``[project.scripts]`` names ``main``).

Both start here, not at ``tracertm.cli.run``, because a Ctrl-C must meet a handler from the first import on: the
command line's imports take tens of milliseconds, and an installer's script imports its entry point's module before
any code of ours runs, where nothing can catch the interrupt. This module and the package it is in import nothing
themselves, so that what runs unguarded is a few statements.
"""


def main() -> None:
    """Run the command line; a Ctrl-C that no handler of the command caught (while it imports, or as it starts or
    ends) is the one line every interrupted command prints and exit 130, not a traceback."""
    try:
        import gc

        gc.disable()  # from the first import on; tracertm.cli.run says why, and turns it back on for long runs
        from tracertm.cli import run

        run()
    except KeyboardInterrupt:
        _interrupted()


def _interrupted() -> None:
    import sys

    # CPython (3.11) notes a KeyboardInterrupt that left a string exec/eval (a dataclass or a namedtuple being
    # built by an import) as unhandled and would end the process by SIGINT instead of exit 130; a trivial exec
    # clears the note (tracertm.cli._forget_unhandled_keyboard_interrupt, not imported yet here).
    exec("pass", {})  # noqa: S102 - a constant: only its side effect on the interpreter's note counts
    print("tracertm: interrupted", file=sys.stderr)
    sys.exit(130)


# Guarded: parse pools started with "forkserver" or "spawn" import the main module in their server process.
if __name__ == "__main__":
    main()
