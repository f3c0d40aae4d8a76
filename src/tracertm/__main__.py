from tracertm.cli import run

# Guarded: parse pools started with "forkserver" or "spawn" import the main module in their server process.
if __name__ == "__main__":
    run()
