"""An OpenAPI or AsyncAPI contract's executable spec holds the document as its own tools read it: YAML 1.2.

Both specifications are YAML 1.2; PyYAML reads YAML 1.1, and the spec was the document re-dumped from what it read.
So a country enum ``[DE, FR, NO]`` was stored as ``[DE, FR, false]`` (Norway, YAML 1.1's boolean), a string enum
``[yes, no, on, off]`` as four booleans, an example ``id: 0012`` as 10 (octal) and a date-time as Python's rewrite of
it, while the same contract's ``info_version`` and every tool reading the file kept the text. The spec is now the
document's text as written, which every YAML 1.2 reader reads as the file's own tools do.
"""

from __future__ import annotations

from tracertm.parsers.contract import parse

OPENAPI = """openapi: 3.1.0
x-contract-id: CTR-0100
info:
  title: Orders
  version: 2.0.0
paths:
  /orders:
    get:
      parameters:
        - name: country
          in: query
          schema: {type: string, enum: [DE, FR, NO]}
        - name: express
          in: query
          schema: {type: string, enum: [yes, no, on, off]}
      responses:
        200:
          description: OK
          content:
            application/json:
              example:
                id: 0012
                placed: 2024-01-02T10:00:00Z
                quantity: 1_000
                weight: 1e3
                hex: 0x1F
                octal: 0o17
                quoted: "NO"
                tagged: !!str 0012
                flag: true
                nothing: ~
                limit: .inf
"""

ASYNCAPI = """asyncapi: 3.0.0
info:
  title: Shipments
  version: 1.0.0
channels:
  shipped:
    messages:
      shipped:
        payload: {type: object, properties: {region: {enum: [SE, NO, FI]}}}
"""


def _spec(path: str, text: str) -> str:
    result = parse(path, text.encode())
    (record,) = result.records
    assert result.warnings == ()
    spec: str = record.fields["executable_spec"]
    return spec


def test_an_openapi_document_keeps_what_yaml_1_2_reads() -> None:
    spec = _spec("contracts/orders.yaml", OPENAPI)
    assert spec == OPENAPI  # [DE, FR, NO], id: 0012, 1_000... as written, not YAML 1.1's reading of them


def test_an_asyncapi_document_too() -> None:
    assert _spec("contracts/shipments.yaml", ASYNCAPI) == ASYNCAPI
