"""ADRs written in French, German, Spanish or Portuguese are read as the English ones are.

A French MADR (``* Statut : accepté``, ``## Contexte et énoncé du problème``, ``## Décision``) was read as an ADR
with no status (a warning, and 'proposed'), no context, no decision and no consequences: its whole text sat in
``adr_metadata.sections``, which full-text search does not index, so searching any word of it found nothing, and
every such ADR of a project was 'proposed'. Real git repository, SQLite and PostgreSQL for the stored rows and search.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo, run_cli
from tracertm.parsers.adr import parse
from tracertm.repositories.locate import field_spot

FRENCH_MADR = """# Journalisation structurée

* Statut : accepté
* Décideurs : Équipe plateforme
* Date : 2024-06-01

## Contexte et énoncé du problème

Les journaux sont illisibles.

## Décision

Nous utiliserons JSON.

## Conséquences

Les outils doivent lire JSON.
"""

GERMAN_MADR3 = """---
status: akzeptiert
date: 2024-05-03
---
# Größere Pakete verwenden

## Kontext und Problemstellung

Die Übertragung ist langsam.

## Entscheidung

Wir verwenden größere Pakete.

## Konsequenzen

Mehr Speicher.
"""

SPANISH_NYGARD = """# 4. Usar Kafka

Fecha: 2024-06-02

## Estado

Rechazado

## Contexto

Necesitamos eventos.

## Decisión

No usaremos Kafka.

## Consecuencias

Menos servidores.
"""

PORTUGUESE = """# 6. Usar Redis

## Status

Aprovado

## Contexto e problema

Cache lento.

## Decisão

Usaremos Redis.

## Consequências

Mais memória.
"""


def fields(path: str, text: str) -> tuple[dict[str, Any], list[str]]:
    result = parse(path, text.encode())  # (a file that cannot be read raises ParseError)
    (record,) = result.records
    return record.fields, [str(w) for w in result.warnings]


@pytest.mark.parametrize(
    ("path", "text", "status", "date", "context", "decision", "consequences"),
    [
        ("docs/adr/0003-journalisation.md", FRENCH_MADR, "accepted", "2024-06-01", "Les journaux sont illisibles.",
         "Nous utiliserons JSON.", "Les outils doivent lire JSON."),
        ("docs/adr/0002-pakete.md", GERMAN_MADR3, "accepted", "2024-05-03", "Die Übertragung ist langsam.",
         "Wir verwenden größere Pakete.", "Mehr Speicher."),
        ("docs/adr/0004-kafka.md", SPANISH_NYGARD, "rejected", "2024-06-02", "Necesitamos eventos.",
         "No usaremos Kafka.", "Menos servidores."),
        ("docs/adr/0006-redis.md", PORTUGUESE, "accepted", None, "Cache lento.", "Usaremos Redis.", "Mais memória."),
    ],
)
def test_a_localized_adr_has_its_status_context_decision_and_consequences(
    path: str, text: str, status: str, date: str | None, context: str, decision: str, consequences: str,
) -> None:
    got, warnings = fields(path, text)
    assert warnings == []
    assert str(got["status"]) == status
    assert (str(got["date"]) if got["date"] else None) == date
    assert (got["context"], got["decision"], got["consequences"]) == (context, decision, consequences)
    assert got["adr_metadata"]["sections"] == {}


def test_the_french_key_list_keeps_its_other_labels_as_attributes() -> None:
    got, _ = fields("docs/adr/0003-journalisation.md", FRENCH_MADR)
    assert got["adr_metadata"]["raw_status"] == "accepté"
    assert "Statut" not in (got["adr_metadata"].get("attributes") or {})


def test_a_french_successor_is_read() -> None:
    got, warnings = fields("docs/adr/0003-x.md", "# 3. X\n\nDate: 2024-01-02\n\n## Statut\n\n"
                                                 "Remplacé par [ADR-0005](0005-y.md)\n\n## Contexte\n\nc\n")
    assert warnings == []
    assert (str(got["status"]), got["superseded_by"]) == ("superseded", "ADR-0005")


def test_an_unknown_word_is_still_a_warning() -> None:
    _, warnings = fields("docs/adr/0003-x.md", "# 3. X\n\nDate: 2024-01-02\n\n## Statut\n\nEn pause\n")
    assert len(warnings) == 1 and "unknown status 'En pause'" in warnings[0], warnings


def test_the_status_and_date_lines_are_found_for_the_api() -> None:
    assert field_spot(FRENCH_MADR, "docs/adr/0003-journalisation.md", "adr", "status").line == 3
    assert field_spot(SPANISH_NYGARD, "docs/adr/0004-kafka.md", "adr", "status").line == 7
    assert field_spot(SPANISH_NYGARD, "docs/adr/0004-kafka.md", "adr", "date").line == 3


def test_a_synced_french_adr_is_accepted_and_found_by_its_words(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0003-journalisation.md", FRENCH_MADR)
    git_repo.write("docs/adr/0002-pakete.md", GERMAN_MADR3)
    git_repo.commit("ADRs en français und auf Deutsch")
    synced = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert synced.returncode == 0 and "warning" not in synced.stderr, synced.stderr
    shown = run_cli("show", "ADR-0003", "--path", str(git_repo.path), "--database-url", database_url)
    assert "status: accepted" in shown.stdout.splitlines(), shown.stdout
    for word, adr in (("journaux", "ADR-0003"), ("JSON", "ADR-0003"), ("Übertragung", "ADR-0002")):
        found = run_cli("search", word, "--database-url", database_url)
        assert found.returncode == 0 and adr in found.stdout, (word, found.stdout, found.stderr)


def test_a_french_predecessor_is_read_and_found() -> None:
    text = "# 3. X\n\n* Statut : accepté\n* Remplace : [ADR-0002](0002-y.md)\n\n## Contexte\n\nc\n"
    got, warnings = fields("docs/adr/0003-x.md", text)
    assert (warnings, got["supersedes"]) == ([], "ADR-0002")
    assert field_spot(text, "docs/adr/0003-x.md", "adr", "supersedes").line == 4


@pytest.mark.parametrize(
    ("positive", "negative"),
    [("Consecuencias positivas", "Consecuencias negativas"), ("Conséquences positives", "Conséquences négatives"),
     ("Positive Konsequenzen", "Negative Konsequenzen"), ("Consequências positivas", "Consequências negativas")],
)
def test_localized_positive_and_negative_consequences_are_consequences(positive: str, negative: str) -> None:
    """MADR 2's ``### Positive Consequences`` under the Decision Outcome goes to consequences; the Spanish (French,
    German, Portuguese) heading was text of the decision."""
    got, warnings = fields("docs/adr/0002-usar-pulsar.md", (
        "# 2. Usar Pulsar\n\n* Estado: Aceptada\n\n## Resultado de la decisión\n\nPulsar.\n\n"
        f"### {positive}\n\n* Menos operaciones.\n\n### {negative}\n\n* Nuevo.\n"))
    assert warnings == []
    assert got["decision"] == "Pulsar."
    assert got["consequences"] == f"### {positive}\n\n* Menos operaciones.\n\n### {negative}\n\n* Nuevo."
