"""The line of a contract's field in its YAML file: the key in the record's own document (a file may hold several),
found on the node graph the contract parser also reads (the same hardened safe loader, nothing constructed)."""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from tracertm.parsers._yaml import Places
from tracertm.repositories.locate import Facts, Spot, missing

# Field → the key paths that write it, in the order the parser reads them (API documents: OpenAPI, AsyncAPI).
_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "contract_number": (("id",), ("contract_number",), ("x-contract-id",), ("info", "x-contract-id")),
    "title": (("title",), ("info", "title")),
    "contract_type": (("type",), ("contract_type",)),
    "status": (("status",), ("info", "x-status")),
    "executable_spec": (("spec", "source"), ("spec",)),
    "spec_language": (("spec", "language"), ("spec",)),
}
_API_KEYS = ("openapi", "swagger", "asyncapi")
# Metadata keys of API documents → where they are written.
_API_METADATA: dict[str, tuple[str, ...]] = {"info_version": ("info", "version"), "asyncapi": ("asyncapi",)}


def _get(node: Node, path: tuple[str, ...]) -> ScalarNode | None:
    """The key node at ``path`` (nested mappings), or None."""
    key_node: ScalarNode | None = None
    for part in path:
        if not isinstance(node, MappingNode):
            return None
        match = next(((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == part), None)
        if match is None:
            return None
        key_node, node = match
    return key_node


def _documents(text: str, path: str) -> list[MappingNode]:
    """The file's mapping documents, after the parser's limits check (an alias bomb is not expanded here either)."""
    from tracertm.parsers._yaml import LOADER, check_limits
    from tracertm.parsers.records import DEFAULT_OPTIONS

    check_limits(path, text, DEFAULT_OPTIONS)
    return [d for d in yaml.compose_all(text, Loader=LOADER) if isinstance(d, MappingNode)]


def _document(places: Places, path: str, number: str | None) -> MappingNode | None:
    """The document of the contract ``number``: the parser numbers documents, so it tells which one (by its first
    line); a file that no longer parses falls back to the first document."""
    from tracertm.errors import TracertmError
    from tracertm.parsers.contract import parse

    documents = _documents(places.text, path)
    if not documents:
        return None
    try:
        records = parse(path, places.text.encode("utf-8")).records
    except TracertmError:
        records = ()
    start = next((r.line for r in records if r.number == number), None)
    return next((d for d in documents if places.line(d.start_mark) == start), documents[0])


def contract_spot(text: str, path: str, field: str, facts: Facts) -> Spot:
    """The line of ``field`` (or ``metadata.<key>``) of the contract ``facts.number`` in the YAML ``text``."""
    places = Places(text)  # YAML 1.1 ends lines at NEL, U+2028 and U+2029 too; the file does not

    def line(node: Node) -> int:
        return places.line(node.start_mark)

    try:
        document = _document(places, path, facts.number)
    except Exception:  # noqa: BLE001 - any unreadable YAML: no line, said so; never an error of the refused write
        document = None
    if document is None:
        return Spot(None, "the file no longer holds a readable YAML mapping, so the line is unknown")
    start = line(document)
    api = next((k for k in _API_KEYS if _get(document, (k,)) is not None), None)
    if field.startswith("metadata."):
        key = field.removeprefix("metadata.")
        paths: tuple[tuple[str, ...], ...] = (("metadata", key), (key,), _API_METADATA.get(key, ("info", key)))
    elif field in _KEYS:
        paths = _KEYS[field]
    else:
        paths = ((field,),)
    found = next((n for n in (_get(document, p) for p in paths) if n is not None), None)
    if found is not None:
        return Spot(line(found))
    if api is not None and field in ("contract_type", "spec_language", "executable_spec"):
        api_key = _get(document, (api,))
        assert api_key is not None
        return Spot(line(api_key), f"{field} follows from the {api} document as a whole (its `{api}:` line)")
    if field == "contract_number":
        return Spot(start, "the id comes from the file name: add `id:` to the contract starting at this line, or "
                           "rename the file")
    return missing(field, f"as `{': '.join(paths[0])}:` to the contract starting at line {start}", start)
