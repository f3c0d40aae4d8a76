"""An OpenAPI or AsyncAPI contract's executable spec holds the document as YAML 1.2 reads it, as its own tools do.

Both specifications are YAML 1.2; PyYAML reads YAML 1.1, and the spec is the document re-dumped from what it read.
So a country enum ``[DE, FR, NO]`` was stored as ``[DE, FR, false]`` (Norway, YAML 1.1's boolean), a string enum
``[yes, no, on, off]`` as four booleans, an example ``id: 0012`` as 10 (octal) and a date-time as Python's rewrite of
it, while the same contract's ``info_version`` and every tool reading the file kept the text. Plain scalars are now
read by YAML 1.2's core schema; quoted ones and explicit tags are as before.
"""

from __future__ import annotations

from typing import Any

import yaml

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


def _spec(path: str, text: str) -> Any:
    result = parse(path, text.encode())
    (record,) = result.records
    assert result.warnings == ()
    return yaml.safe_load(record.fields["executable_spec"])


def test_an_openapi_document_keeps_what_yaml_1_2_reads() -> None:
    spec = _spec("contracts/orders.yaml", OPENAPI)
    get = spec["paths"]["/orders"]["get"]
    assert [p["schema"]["enum"] for p in get["parameters"]] == [["DE", "FR", "NO"], ["yes", "no", "on", "off"]]
    example = get["responses"]["200"]["content"]["application/json"]["example"]
    assert example == {
        "id": 12, "placed": "2024-01-02T10:00:00Z", "quantity": "1_000", "weight": 1000.0, "hex": 31, "octal": 15,
        "quoted": "NO", "tagged": "0012", "flag": True, "nothing": None, "limit": ".inf",
    }


def test_an_asyncapi_document_too() -> None:
    spec = _spec("contracts/shipments.yaml", ASYNCAPI)
    payload = spec["channels"]["shipped"]["messages"]["shipped"]["payload"]
    assert payload["properties"]["region"]["enum"] == ["SE", "NO", "FI"]
