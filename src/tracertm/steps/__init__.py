"""Step definitions: discover them in code (Python, JavaScript/TypeScript, Java, Kotlin, Go, Ruby, C#) without
running it, match every scenario step with each framework's own rules, and report usage, unused definitions,
undefined and ambiguous steps.

Pipeline: ``parsing`` (one file → ``StepFile``) and ``scenarios`` (one feature → the steps a runner executes) are
pure; ``expressions`` compiles definitions into matchers (``cucumber_matchers``, ``regex_matchers``,
``parse_matchers`` per kind, with the project's ``parameter_types``; ``compiled``: what they share); ``matching``
indexes them; ``report`` builds and renders; ``project.analyze`` drives it over a source. Heavy imports
(tree-sitter, cucumber-expressions, gherkin) happen inside functions, so importing this package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracertm.steps.project import analyze as analyze

__all__ = ["analyze"]


def __getattr__(name: str) -> Any:
    if name == "analyze":
        from tracertm.steps.project import analyze

        return analyze
    raise AttributeError(name)
