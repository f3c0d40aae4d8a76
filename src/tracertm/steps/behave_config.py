"""behave's own configuration, as far as it changes which step files behave loads: its test ``stage``.

behave (1.3 ``configuration.py``) reads ``pyproject.toml`` (``[tool.behave]``), ``tox.ini``, ``setup.cfg``,
``.behaverc`` and ``behave.ini`` (``[behave]``) of the working directory (and of the home folder, which is no
file of the repository), in that order, a later file's key overriding an earlier one's. Of its keys only ``stage``
changes the step loading (``Configuration.setup_stage``): with ``stage = product`` behave loads the step modules of
``product_steps/`` and runs ``product_environment.py`` instead of ``steps/`` and ``environment.py``. There is no
``steps_dir`` or ``environment_file`` key: behave ignores them (its ``BEHAVE_STAGE`` environment variable is a
machine's, not the repository's). ``paths`` only names the feature paths behave runs by default; behave walks up
from the one it runs to the folder with the steps folder, as tracertm does from each feature file.

tracertm's step reading knows behave's default layout (``behave_layout``), so a project whose configuration sets a
stage gets a warning at that key until ``step_paths`` read that stage's step modules.
"""

from __future__ import annotations

import configparser
from collections.abc import Callable, Iterable, Mapping

from tracertm.errors import Diagnostic
from tracertm.text import file_lines

__all__ = ["CONFIG_FILES", "stage_warning"]

# behave's configuration files in the order it reads them (``config_filenames`` reversed): the last one wins.
CONFIG_FILES = ("pyproject.toml", "tox.ini", "setup.cfg", ".behaverc", "behave.ini")


def _stage(name: str, data: bytes) -> tuple[int, str] | None:
    """The line and value of the ``stage`` key one configuration file sets for behave; None when it sets none or
    cannot be read (behave would stop on it: nothing to add here)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if name == "pyproject.toml":
        import tomllib

        from tracertm.config_toml import key_line

        try:
            table = tomllib.loads(text).get("tool", {}).get("behave", {})
        except (tomllib.TOMLDecodeError, RecursionError, AttributeError):
            return None
        value = table.get("stage") if isinstance(table, dict) else None
        return None if value is None else (key_line(text, False, "tool", "behave", "stage") or 1, str(value))
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # behave's keys are case-sensitive
    try:
        parser.read_string(text, name)
        if not parser.has_option("behave", "stage"):
            return None
        value = parser.get("behave", "stage")
    except (configparser.Error, RecursionError):
        return None
    return _ini_line(text, "stage"), value


def _ini_line(text: str, key: str) -> int:
    """The line of ``key`` in the ``[behave]`` section of an INI text (1 when not found)."""
    section = ""
    for number, line in enumerate(file_lines(text), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]").strip()
        elif section == "behave" and stripped.split("=", 1)[0].split(":", 1)[0].strip() == key:
            return number
    return 1


def stage_warning(read: Callable[[list[str]], Mapping[str, bytes]], step_paths: Iterable[str]) -> list[Diagnostic]:
    """A warning at the ``stage`` key behave's configuration sets (``read``: the bytes of those of the given
    configuration files the source has), unless ``step_paths`` (the step files read) hold that stage's step
    modules already; [] without a stage."""
    contents = read(list(CONFIG_FILES))
    found: tuple[str, int, str] | None = None
    for name in CONFIG_FILES:
        data = contents.get(name)
        if data is not None and (setting := _stage(name, data)) is not None:
            found = (name, *setting)
    if found is None or not found[2]:
        return []
    name, line, stage = found
    steps_dir = f"{stage}_steps"
    if any(steps_dir in p.split("/")[:-1] for p in step_paths):
        return []
    return [Diagnostic(name, line, 1, f"behave's stage {stage!r} makes behave load the step modules of "
                       f"{steps_dir}/ and run {stage}_environment.py instead of steps/ and environment.py; tracertm "
                       f"reads behave's default layout, so their steps show as undefined; add "
                       f"'features/{steps_dir}/**/*.py' (its features folder's) to step_paths", "warning")]
