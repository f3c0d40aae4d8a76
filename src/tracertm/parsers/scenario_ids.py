"""The ids of a feature file's untagged scenarios: the name, ``#2``, ``#3``... for repeats, ``Scenario #k`` unnamed.

Two rules make the name an id. Today's reads the name as prose (its whitespace runs are one space, as the content
hash reads a title); the rule of tracertm before ``PARSER_OUTPUT`` 10 took the name as written (``add  an item``).
The parser numbers each scenario by both (``parsers.feature``): the id the earlier rule gave is the row an earlier
tracertm stored for that very scenario, which the first sync after the upgrade renumbers in place
(``engine.renumber``) — one name's whitespace alone cannot tell it, when two rows collapse to the same id.
"""

from __future__ import annotations

from typing import Iterable, Mapping


def name_ids(names: Iterable[tuple[int, str]], tagged: Mapping[str, int], *, as_written: bool = False) -> list[str]:
    """The ids of untagged scenarios, given as ``(position among all the file's scenarios, name)`` in file order;
    ``tagged``: the ids the file's id tags take (never taken again). ``as_written``: by the earlier rule."""
    taken = set(tagged)
    last_suffix: dict[str, int] = {}  # per name: the last #k handed out, so a file of repeats stays linear
    out: list[str] = []
    for position, name in names:
        base = (name.strip() if as_written else " ".join(name.split())) or f"Scenario #{position}"
        number, k = base, last_suffix.get(base, 1)
        while number in taken:
            k += 1
            number = f"{base}#{k}"
        last_suffix[base] = k
        taken.add(number)
        out.append(number)
    return out
