# Guarded: parse pools started with "forkserver" or "spawn" import the main module in their server process.
if __name__ == "__main__":
    import gc
    import sys

    gc.disable()  # from the first import on; tracertm.cli.run says why, and turns it back on for long runs
    try:
        from tracertm.cli import run
    except KeyboardInterrupt:  # a Ctrl-C before the command's own handler exists: the same line, no traceback
        print("tracertm: interrupted", file=sys.stderr)
        sys.exit(130)

    run()
