# Guarded: parse pools started with "forkserver" or "spawn" import the main module in their server process.
if __name__ == "__main__":
    import gc

    gc.disable()  # from the first import on; tracertm.cli.run says why, and turns it back on for long runs
    from tracertm.cli import run

    run()
