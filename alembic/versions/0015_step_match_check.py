"""step match check: the CHECK constraint of ``scenario_step_matches.status`` as comparisons
(``status = 'defined' OR …``) instead of an ``IN`` list, as 0014 did for revisions and test results

A cold sync with step files writes a row per executed step (132,000 on the large benchmark corpus): SQLite builds
the ``IN`` list's lookup table for each of them, about 0.26 s of CPU there, and the comparisons cost nothing
measurable. Same truth; see ``tracertm.schema_checks``.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from tracertm.schema_checks import change_checks

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# As of this revision (not read from the models: a later change of them must not change this migration).
_CHECKS = (
    ("scenario_step_matches", "ck_scenario_step_matches_step_match_status", "status",
     ("defined", "undefined", "ambiguous")),
)


def upgrade() -> None:
    change_checks(_CHECKS, to_compared=True, label="0015")


def downgrade() -> None:
    change_checks(_CHECKS, to_compared=False, label="0015")
