from tracertm.cli import run

run()
