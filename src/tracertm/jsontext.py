"""JSON texts exactly as ``json.dumps`` writes them, from an encoder made once.

``json.dumps`` builds a new C encoder on every call. For the small values tracertm encodes by the tens of thousands
in a sync (a record's canonical form for its content hash, its fields for their columns, a scenario's matched steps)
that set-up is a quarter to a half of the call: ``encoder`` builds it once per set of options.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from typing import Any

__all__ = ["encoder", "same_json"]


def encoder(
    *,
    default: Callable[[Any], Any] | None = None,
    ensure_ascii: bool = True,
    separators: tuple[str, str] = (", ", ": "),
    sort_keys: bool = False,
) -> Callable[[Any], str]:
    """``json.dumps(value, default=..., ensure_ascii=..., separators=..., sort_keys=..., check_circular=False)`` as
    one callable, with the C encoder ``json.dumps`` would make (the same arguments, in the same order) made here once.
    No circular-reference check: the values are trees. ``json.dumps`` itself where this Python has no C accelerator,
    or one that takes other arguments."""
    dumps: Callable[[Any], str] = functools.partial(
        json.dumps, default=default, ensure_ascii=ensure_ascii, separators=separators, sort_keys=sort_keys,
        check_circular=False,
    )
    make = getattr(json.encoder, "c_make_encoder", None)
    quote = getattr(json.encoder, "c_encode_basestring_ascii" if ensure_ascii else "c_encode_basestring", None)
    if make is None or quote is None:
        return dumps
    item_separator, key_separator = separators
    try:
        iterencode = make(None, default or json.JSONEncoder().default, quote, None, key_separator, item_separator,
                          sort_keys, False, True)
    except TypeError:  # an accelerator with another signature: json.dumps will do
        return dumps

    def encode(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return encode


def same_json(a: Any, b: Any, signed_zero: bool = True) -> bool:
    """Whether ``a`` and ``b`` are the same JSON value. Python's ``==`` holds for ``True``, ``1`` and ``1.0`` alike,
    which JSON writes as three values (``true``, ``1``, ``1.0``), and a record keeps the one it was given; and for
    ``-0.0`` and ``0.0``, two values too unless ``signed_zero`` is false (a column that stores both as ``0.0``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(value, b[key], signed_zero) for key, value in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y, signed_zero) for x, y in zip(a, b))
    if type(a) is not type(b) or a != b:
        return False
    return not (signed_zero and isinstance(a, float)) or math.copysign(1.0, a) == math.copysign(1.0, b)
