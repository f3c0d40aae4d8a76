"""tracertm's version: ``tracertm --version`` prints it, and the package build reads it from here (pyproject.toml's
``[tool.hatch.version]``)."""

__version__ = "0.1.0"
