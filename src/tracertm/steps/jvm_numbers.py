"""cucumber-jvm's number parameter types in a feature's language: ``{float}``, ``{double}`` and ``{bigdecimal}``
match the locale's decimal and grouping separators, as cucumber-expressions-java's ``ParameterTypeRegistry(Locale)``
does (``StepIndex.localized`` compiles such definitions once per separator)."""

from __future__ import annotations

import re

from tracertm.steps.model import StepDefinition

__all__ = ["LOCALIZED", "LOCALIZED_TYPES", "decimal_separator", "jvm_float_regexp", "localizable"]


# cucumber-jvm's number types follow the feature's language (cucumber-expressions' ``ParameterTypeRegistry(Locale)``,
# the locale ``new Locale.Builder().setLanguage(pickle language)``): {float}, {double} and {bigdecimal} match the
# locale's decimal separator and ``KeyboardFriendlyDecimalFormatSymbols``' grouping one ('.' where the decimal one
# is ',', else ','). The Gherkin languages whose Java (CLDR) locale writes a decimal comma with Latin digits; every
# other one is '.' as English (a language Java does not know falls back to the root locale's '.').
_DECIMAL_COMMA = frozenset({
    "af", "an", "ast", "az", "be", "bg", "bs", "ca", "cs", "da", "de", "el", "eo", "es", "et", "eu", "fi", "fr",
    "gl", "hr", "hu", "hy", "id", "is", "it", "ka", "lt", "lv", "mk", "nl", "no", "pl", "pt", "ro", "ru", "sk",
    "sl", "sq", "sr", "sv", "tr", "tt", "uk", "uz", "vi",
})
LOCALIZED_TYPES = ("float", "double", "bigdecimal")
LOCALIZED = re.compile(r"\{(?:float|double|bigdecimal)\}")  # a JVM expression whose matches follow the locale


def decimal_separator(language: str) -> str:
    """The decimal separator of cucumber-jvm's number types in a feature of Gherkin ``language``."""
    return "," if language.split("-", 1)[0].lower() in _DECIMAL_COMMA else "."


def jvm_float_regexp(decimal: str) -> str:
    r"""cucumber-expressions-java's ``FLOAT_REGEXPS`` for a decimal separator: ``(?=\S*\d\S*)[-+]?`` then the
    integer part ``(?:\d+(?:[{group}]?\d+)*)*``, ``(?:[{decimal}](?=\d.*))?\d*`` and ``(?:\d+[E]-?\d+)?``.
    The integer part is written as the same language without its nested repetition (``(?:\d+(?:[g]\d+)*)?``:
    digits, single separators between them) — Java's form backtracks exponentially on a long run of digits."""
    group = "." if decimal == "," else ","
    return (rf"(?=\S*\d)[-+]?(?:\d+(?:[{re.escape(group)}]\d+)*)?(?:[{re.escape(decimal)}](?=\d))?\d*"
            r"(?:\d+[E]-?\d+)?")


def localizable(definition: StepDefinition) -> bool:
    """Whether ``definition`` matches differently in a language with another decimal separator: a cucumber-jvm
    Cucumber Expression using one of the number types."""
    return (definition.framework == "cucumber-jvm" and definition.kind == "cucumber-expression"
            and LOCALIZED.search(definition.pattern) is not None)
