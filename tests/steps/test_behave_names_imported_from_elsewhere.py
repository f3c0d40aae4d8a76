"""In a behave step module, ``given``/``when``/``then``/``step`` are the decorators behave injects — unless the module
imports that name from another library: ``from hypothesis import given`` makes ``@given(st.lists(...))`` a
property-based test, not a step definition. It was read as one, and its pattern (no string literal) reported as an
error (``tracertm check`` failed on a ``tests/steps/`` folder of hypothesis tests)."""

from __future__ import annotations

from tracertm.steps.parsing import parse_step_file

HYPOTHESIS = '''
from hypothesis import given, strategies as st
from behave import then


@given(st.lists(st.integers(), max_size=8))
def test_sorting_twice_changes_nothing(xs):
    assert sorted(sorted(xs)) == sorted(xs)


@then("it is sorted")
def step_sorted(context):
    pass


@when("I sort")
def step_sort(context):
    pass
'''


def test_a_name_imported_from_another_module_is_not_behaves_decorator() -> None:
    parsed = parse_step_file("features/steps/properties.py", HYPOTHESIS.encode())
    assert not parsed.errors, parsed.errors
    # ``then`` imported from behave and ``when`` injected by it still define steps.
    assert sorted((d.keyword, d.pattern) for d in parsed.definitions) == [("then", "it is sorted"),
                                                                          ("when", "I sort")]
