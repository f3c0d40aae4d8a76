"""project names in Unicode normalization form C

A project named after a folder took the folder's name as the file system spells it: on macOS (and from archives or
editors that write decomposed names) ``café`` is ``cafe`` and a combining accent (NFD), which prints exactly as the
precomposed ``café`` a user types. ``--project café``, the API's ``?project=café`` and the web view's links then
found no project, and the error listed ``known projects: café``. Names are now chosen, looked up and locked in NFC
(``text.name_form``); this renames the projects stored in another form, and the former names a remote rename left
in their metadata (``former_names``, which a clone still deriving one is matched by), to NFC.

A project whose NFC name another project holds already (a database that got both spellings as two projects) is left
as it is: merging two projects' records is not a migration's to decide. ``--project`` reaches each by its exact
spelling, and errors print such a name escaped (``'cafe\\u0301'``). The downgrade keeps the names: NFC is a valid
spelling of every name for the older code.

Revision ID: 0038
Revises: 0037
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, JSONType
from tracertm.text import name_form

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    projects = sa.table("projects", sa.column("id", GUID), sa.column("name", sa.String()),
                        sa.column("project_metadata", JSONType))
    rows = conn.execute(sa.select(projects.c.id, projects.c.name, projects.c.project_metadata)).all()
    taken = {name for _, name, _ in rows}
    for project_id, name, metadata in rows:
        values: dict[str, object] = {}
        if name_form(name) != name and name_form(name) not in taken:
            taken.add(name_form(name))
            values["name"] = name_form(name)
        former = (metadata or {}).get("former_names")
        if isinstance(former, list) and any(isinstance(n, str) and name_form(n) != n for n in former):
            kept = list(dict.fromkeys(name_form(n) if isinstance(n, str) else n for n in former))
            values["project_metadata"] = {**metadata, "former_names": kept}
        if values:
            conn.execute(sa.update(projects).where(projects.c.id == project_id).values(values))


def downgrade() -> None:
    pass
