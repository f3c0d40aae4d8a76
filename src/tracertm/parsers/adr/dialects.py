"""The dialect tables of ADRs: which words, labels and headings mean what, and which template a file follows.

Everything a reader of real ADR collections has to teach the parser lives here as data, so adding a spelling is a
one-line change (and the README's dialect table is written from these tables).
"""

from __future__ import annotations

import re
from collections.abc import Set

ADR_STATUSES = ("proposed", "accepted", "deprecated", "superseded", "rejected")
DIALECTS = ("nygard", "madr2", "madr3", "madr4", "log4brains", "bold", "docusaurus", "unknown")

# First meaningful word of a status → ADRStatus. Deliberately conservative: anything else is a warning.
STATUS_WORDS: dict[str, str] = {
    "proposed": "proposed",
    "proposal": "proposed",
    "accepted": "accepted",
    "accept": "accepted",
    "approved": "accepted",
    "decided": "accepted",  # (common in public ADR collections: "## Status\n\nDecided — 2026-08-21")
    "deprecated": "deprecated",
    "obsolete": "deprecated",
    "superseded": "superseded",
    "superceded": "superseded",  # adr-tools spelling
    "rejected": "rejected",
    "declined": "rejected",
    # ADRs written in French, German, Spanish or Portuguese (a French MADR: "* Statut : accepté"). Unknown, these
    # were a warning and 'proposed': every localized ADR of a project read as proposed.
    "proposé": "proposed", "proposée": "proposed", "vorgeschlagen": "proposed", "propuesto": "proposed",
    "propuesta": "proposed", "proposto": "proposed", "proposta": "proposed",
    "accepté": "accepted", "acceptée": "accepted", "approuvé": "accepted", "approuvée": "accepted",
    "adopté": "accepted", "adoptée": "accepted", "akzeptiert": "accepted", "angenommen": "accepted",
    "genehmigt": "accepted", "beschlossen": "accepted", "aceptado": "accepted", "aceptada": "accepted",
    "aprobado": "accepted", "aprobada": "accepted", "aceito": "accepted", "aceita": "accepted",
    "aprovado": "accepted", "aprovada": "accepted",
    "déprécié": "deprecated", "dépréciée": "deprecated", "obsolète": "deprecated", "veraltet": "deprecated",
    "obsolet": "deprecated", "obsoleto": "deprecated", "obsoleta": "deprecated", "depreciado": "deprecated",
    "depreciada": "deprecated",
    "remplacé": "superseded", "remplacée": "superseded", "ersetzt": "superseded", "reemplazado": "superseded",
    "reemplazada": "superseded", "substituído": "superseded", "substituída": "superseded",
    "rejeté": "rejected", "rejetée": "rejected", "refusé": "rejected", "refusée": "rejected",
    "abgelehnt": "rejected", "rechazado": "rejected", "rechazada": "rejected", "rejeitado": "rejected",
    "rejeitada": "rejected",
}

SUPERSEDED_BY = frozenset({
    "superseded by", "superceded by", "superseded", "superceded",
    "remplacé par", "remplacée par", "ersetzt durch", "reemplazado por", "reemplazada por", "substituído por",
    "substituída por",
})
# (German "ersetzt ADR-0002" may be either way: "replaces" or, as a status, "replaced". It is the status word only.)
SUPERSEDES = frozenset({"supersedes", "supercedes", "remplace", "reemplaza", "substitui"})

# Stakeholder roles, in the fixed order used to flatten them (fixed so that reordering keys keeps the hash).
ROLE_ORDER = ("deciders", "decision-makers", "consulted", "informed", "stakeholders")
ROLE_ALIASES = {
    "deciders": "deciders",
    "decider": "deciders",
    "decision-makers": "decision-makers",
    "decision-maker": "decision-makers",
    "consulted": "consulted",
    "informed": "informed",
    "stakeholders": "stakeholders",
}

# Front matter keys that become fields (or drive identity); every other key is kept in adr_metadata.
MAPPED_FM_KEYS = frozenset(
    {"id", "number", "title", "status", "date", "tags", "supersedes", "superseded-by", "superceded-by"}
    | set(ROLE_ALIASES)
)
# Keys adr_metadata always has (or may have); a front matter key with one of these names is kept under a prefix.
RESERVED_METADATA = frozenset(
    {"dialect", "raw_status", "sections", "stakeholder_roles", "links", "slug", "attributes", "preamble", "options",
     "supersedes", "superseded_by"}
)

# Heading names (normalised by ``heading_key``: case-folded) → the field they fill. Also in French, German, Spanish
# and Portuguese, as translated MADR and Nygard templates write them: unknown, such a heading was a section of its
# own, and a French or German ADR had no context, decision or consequences (nor any text search finds).
CONTEXT_HEADINGS = frozenset({
    "context", "context and problem statement", "problem statement", "context and problem",
    "contexte", "contexte et énoncé du problème", "contexte et problème", "contexte et problématique",
    "énoncé du problème", "problématique",
    "kontext", "kontext und problemstellung", "kontext und problem", "problemstellung",
    "contexto", "contexto y planteamiento del problema", "contexto y problema", "planteamiento del problema",
    "contexto e problema", "contexto e declaração do problema", "contexto e enunciado do problema",
})
DECISION_HEADINGS = frozenset({
    "decision", "decisions", "decision outcome", "decision made",
    "décision", "décisions", "résultat de la décision", "décision prise",
    "entscheidung", "entscheidungen", "entscheidungsergebnis", "getroffene entscheidung",
    "decisión", "decisiones", "resultado de la decisión", "decisão", "decisões", "resultado da decisão",
})
PLAIN_CONSEQUENCE_HEADINGS = frozenset({  # merged without their heading
    "consequences", "implications", "conséquences", "konsequenzen", "folgen", "auswirkungen", "consecuencias",
    "implicaciones", "consequências", "implicações",
})
# MADR 2's Positive / Negative Consequences under the Decision Outcome, kept under their heading; in the languages
# above too (a Spanish "### Consecuencias positivas" was text of the decision).
CONSEQUENCE_HEADINGS = PLAIN_CONSEQUENCE_HEADINGS | {
    "positive consequences", "negative consequences", "conséquences positives", "conséquences négatives",
    "positive konsequenzen", "negative konsequenzen", "consecuencias positivas", "consecuencias negativas",
    "consequências positivas", "consequências negativas",
}
DRIVER_HEADINGS = frozenset({"decision drivers"})
OPTION_HEADINGS = frozenset({"considered options", "options considered"})
PROS_CONS_HEADINGS = frozenset({"pros and cons of the options", "pros and cons"})
STATUS_HEADINGS = frozenset({"status", "statut", "estado"})
# Labels of other languages that name a field (``* Statut : accepté``, ``- Estado: aceptado``), by ``fm_key``.
LABEL_ALIASES = {"statut": "status", "estado": "status", "datum": "date", "fecha": "date"}
LINK_HEADINGS = frozenset({"links"})
# Labels also read without a colon (``Status Accepted``, ``Date 09/04/2018``), but only in the key list and the
# Status section, and only when the value reads as one (a status word, a date): "Date of the meeting" is prose.
LOOSE_LABELS = frozenset({"status", "date"})
# Plain labels that may follow another label on one line after a ``|`` (``Status: Accepted | Date: 2026-09-11``);
# any other word after a ``|`` is part of the value (a bold label, ``| **Date:** ...``, always starts a pair).
INLINE_LABELS = frozenset(
    {"status", "date", "tags", "supersedes", "supercedes", "superseded-by", "superceded-by"} | set(ROLE_ALIASES)
)

KNOWN_HEADINGS = (
    CONTEXT_HEADINGS
    | DECISION_HEADINGS
    | CONSEQUENCE_HEADINGS
    | DRIVER_HEADINGS
    | OPTION_HEADINGS
    | PROS_CONS_HEADINGS
    | STATUS_HEADINGS
)


def detect_dialect(
    fm_keys: Set[str], fm_present: bool, has_h1: bool, dated_file: bool, styles: Set[str], names: Set[str]
) -> str:
    """Which template the file follows (informational; parsing is the same for all).

    ``fm_keys``: normalised front matter keys; ``dated_file``: a Log4brains ``yyyymmdd-`` file name; ``styles``:
    how the key list was written (``list*``, ``list-``, ``bold``, ``tags``...); ``names``: the section keys.
    """
    if "decision-makers" in fm_keys:
        return "madr4"
    if fm_present and not has_h1 and fm_keys & {"id", "title"}:
        return "docusaurus"
    if dated_file or "tags" in styles:
        return "log4brains"
    if fm_keys & {"status", "date", "deciders", "consulted", "informed"}:
        return "madr3"
    if styles & {"list*", "list-", "list+"} or names & {"decision outcome", "considered options"}:
        return "madr2"
    if "bold" in styles:
        return "bold"
    if "status" in names or "list" in styles:
        return "nygard"
    return "unknown"


_STATUS_HEADING_RE = re.compile(
    r"[\W_]*(?:\d{1,3}[.)][ \t]*)?(?:status|statut|estado)\b(.*)", re.IGNORECASE | re.DOTALL
)


def status_heading(title: str) -> tuple[bool, str | None]:
    """Whether a heading is the ADR's Status heading, and the status written in it, if any.

    ``Status``, ``✅ Status``, ``**Status**``, ``Status (as of 2021)`` are; ``Status: Accepted`` is, with the value
    ``Accepted``; ``Status quo`` is not.
    """
    match = _STATUS_HEADING_RE.fullmatch(title.strip())
    if match is None:
        return False, None
    rest = match.group(1).replace("*", "").strip()
    if not rest or rest[0] == "(" or not any(ch.isalnum() for ch in rest):
        return True, None  # nothing, a trailing note, or emoji
    if rest[0] in ":-–—|":
        return True, rest[1:].strip() or None
    return False, None
