"""A step definition whose text no database stores — a NUL or a lone surrogate, made by an escape in its string
literal — is an error at its line, not a row the sync cannot write (the soak's parser fuzz found one in TypeScript);
the rest of the file still counts."""

from __future__ import annotations

from tracertm.steps.parsing import parse_step_file

TS = r"""import { Given } from '@cucumber/cucumber';
Given('I open \0 it', () => {});
Given('a \ud800 surrogate', () => {});
Given('fine', () => {});
"""


def test_unstorable_definitions_are_errors() -> None:
    step_file = parse_step_file("features/step_definitions/a.steps.ts", TS.encode())
    assert [d.pattern for d in step_file.definitions] == ["fine"]
    assert [(e.line, "NUL character or invalid UTF-8" in e.message) for e in step_file.errors] == [(2, True), (3, True)]
