"""``jsontext.encoder`` writes exactly what ``json.dumps`` writes with the same options, with its C encoder made once,
and falls back to ``json.dumps`` itself when the accelerator is missing or takes other arguments."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracertm import jsontext

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.dates()
VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)
OPTIONS = [
    {},
    {"separators": (",", ":")},
    {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False},
]


def _default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_the_text_is_json_dumps_text(value: Any) -> None:
    for options in OPTIONS:
        assert jsontext.encoder(default=_default, **options)(value) == json.dumps(value, default=_default, **options)


def test_a_value_it_cannot_write_raises_as_json_dumps_does() -> None:
    encode = jsontext.encoder()
    with pytest.raises(TypeError, match="not JSON serializable"):
        encode({"when": dt.date(2024, 1, 2)})
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"when": dt.date(2024, 1, 2)})


def test_without_the_accelerator_it_is_json_dumps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    encode = jsontext.encoder(sort_keys=True, separators=(",", ":"))
    assert encode.func is json.dumps  # type: ignore[attr-defined]
    assert encode({"b": 1, "a": [2, "é"]}) == '{"a":[2,"\\u00e9"],"b":1}'


def test_an_accelerator_with_another_signature_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def make(markers: Any, default: Any) -> Any:
        raise AssertionError("unreachable: it takes two arguments, the encoder is made with nine")

    monkeypatch.setattr(json.encoder, "c_make_encoder", make)
    encode = jsontext.encoder()
    assert encode.func is json.dumps  # type: ignore[attr-defined]
