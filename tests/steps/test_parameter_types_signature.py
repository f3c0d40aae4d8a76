"""The signature of a project's declared parameter types (``engine.step_sync.types_signature``), whose change makes
a sync re-match every step: a type moved between behave's two registries (``register_type`` for parse,
``define_parameter_type`` for cucumber_expressions) or given other regex flags, with the same regex, matches other
steps, so it changes the signature; a type without flags or registry keeps the signature earlier syncs stored."""

from __future__ import annotations

import hashlib
import json

from tracertm.engine.step_sync import types_signature
from tracertm.steps.model import ParameterTypeDecl, StepFile


def _files(**kw: str) -> dict[str, StepFile]:
    decl = ParameterTypeDecl("Color", (r"red|blue",), "behave", "python", "features/steps/s.py", 3, **kw)
    return {"features/steps/s.py": StepFile("features/steps/s.py", "python", parameter_types=(decl,))}


def test_the_registry_and_the_flags_are_part_of_the_signature() -> None:
    plain, cucumber, flagged = _files(), _files(registry="cucumber"), _files(flags="i")
    assert len({types_signature(plain), types_signature(cucumber), types_signature(flagged)}) == 3


def test_a_plain_type_keeps_the_signature_of_earlier_syncs() -> None:
    earlier = hashlib.sha256(json.dumps([["behave", "Color", [r"red|blue"]]]).encode()).hexdigest()
    assert types_signature(_files()) == earlier
