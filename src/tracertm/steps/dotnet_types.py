"""Reqnroll's built-in Cucumber Expression parameter types, as its ``CucumberExpressionParameterTypeRegistry`` makes
them with the regexes of ``Cucumber.CucumberExpressions`` 17.1 (``ParameterTypeConstants``), the version it uses.

Besides cucumber's ``{}``, ``{word}`` and ``{string}``, Reqnroll registers each .NET type it converts by its type
name — ``{Byte}``, ``{Int16}``, ``{Int32}``, ``{Int64}`` (an integer), ``{Double}``, ``{Single}``, ``{Decimal}`` (a
number), ``{Boolean}``, ``{Char}``, ``{DateTime}``, ``{Guid}`` (any text: its converters judge the value, as
``GuidValueRetriever`` pads a short one) — and some again by an alias: ``{int}``, ``{byte}``, ``{long}`` (an
integer), ``{float}``, ``{double}``, ``{decimal}`` (a number). Cucumber's ``{short}``, ``{bigdecimal}`` and
``{biginteger}`` are not Reqnroll's: any other name is an enum's to Reqnroll (``cucumber_matchers``).
"""

from __future__ import annotations

import unicodedata

__all__ = ["DOTNET_FLOAT", "DOTNET_INT", "DOTNET_MATCH_ALL", "DOTNET_TYPES", "KEYWORD_TYPES",
           "NOT_DOTNET"]


def _category_class(categories: tuple[str, ...]) -> str:
    """The characters of the Unicode ``categories`` as the body of a regex class (ranges, escaped): .NET's
    ``\\p{Pc}\\p{Po}``..., which Python's ``re`` lacks. Only the Basic Multilingual Plane: .NET matches UTF-16 code
    units, and a character past it is two surrogates (category Cs) there."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if unicodedata.category(chr(code)) in categories:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


# ``ParameterTypeConstants.IntParameterRegex``.
DOTNET_INT = r"-?\d+"
# ``FloatParameterRegex``, the culture-independent one: a decimal separator of \p{Pc}\p{Po} (``.``, ``,``...), a
# group separator of those, \p{Pd} or a space, an exponent ``E``. Its integer part, ``(?:\d+(?:[group]?\d+)*)*``,
# backtracks exponentially on a long number that does not match in the end (in .NET too); written here as
# ``(?:\d+(?:[group]\d+)*)?``, which matches the same texts.
_DECIMAL = _category_class(("Pc", "Po"))
_GROUP = _category_class(("Pc", "Po", "Pd")) + " "
DOTNET_FLOAT = (rf"(?=.*\d.*)[-+]?(?:\d+(?:[{_GROUP}]\d+)*)?(?:[{_DECIMAL}](?=\d.*))?\d*(?:\d+[E]-?\d+)?")
# ``CucumberExpressionParameterType.MatchAllRegex``: a type whose converter alone judges the text.
DOTNET_MATCH_ALL = ".*"

DOTNET_TYPES: dict[str, str] = {
    **dict.fromkeys(("Byte", "Int16", "Int32", "Int64", "int", "byte", "long"), DOTNET_INT),
    **dict.fromkeys(("Double", "Single", "Decimal", "float", "double", "decimal"), DOTNET_FLOAT),
    **dict.fromkeys(("Boolean", "Char", "DateTime", "Guid"), DOTNET_MATCH_ALL),
}
# C#'s keyword for a .NET type → its name: a [StepArgumentTransformation] returning one of these types adds its regex
# to the built-in type instead of declaring a type of that name (``int`` joins ``{int}`` and ``{Int32}``).
KEYWORD_TYPES = {"int": "Int32", "long": "Int64", "short": "Int16", "byte": "Byte", "double": "Double",
                 "float": "Single", "decimal": "Decimal", "bool": "Boolean", "char": "Char"}
# cucumber's built-in types that Reqnroll's registry does not hold (the package's registry starts with them).
NOT_DOTNET = ("short", "bigdecimal", "biginteger")
