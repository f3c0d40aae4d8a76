"""test runs and results; scenario execution statistics

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, JSONType, UTCDateTime, utcnow

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('test_runs',
    sa.Column('project_id', GUID, nullable=False),
    sa.Column('commit_sha', sa.String(length=40), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('source_format', sa.Enum('junit', 'cucumber-json', 'cucumber-messages', name='test_run_format', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('started_at', UTCDateTime(), nullable=True),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('imported_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('counts', JSONType, server_default=sa.text("'{}'"), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('files', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('id', GUID, nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_test_runs_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_runs')),
    sa.UniqueConstraint('project_id', 'digest', name=op.f('uq_test_runs_project_id_digest'))
    )
    with op.batch_alter_table('test_runs', schema=None) as batch_op:
        batch_op.create_index('ix_test_runs_project_id_imported_at', ['project_id', 'imported_at'], unique=False)

    op.create_table('test_results',
    sa.Column('run_id', GUID, nullable=False),
    sa.Column('test_case_id', GUID, nullable=False),
    sa.Column('scenario_id', GUID, nullable=True),
    sa.Column('example_row', sa.String(length=32), nullable=True),
    sa.Column('match_rule', sa.Enum('tag', 'line', 'name', name='test_result_match', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('status', sa.Enum('passed', 'failed', 'skipped', 'undefined', 'pending', 'error', name='test_result_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('duration', sa.Float(), nullable=True),
    sa.Column('message', sa.String(length=1000), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['test_runs.id'], name=op.f('fk_test_results_run_id_test_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenarios.id'], name=op.f('fk_test_results_scenario_id_scenarios'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['test_case_id'], ['test_cases.id'], name=op.f('fk_test_results_test_case_id_test_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'test_case_id', name=op.f('pk_test_results'))
    )
    with op.batch_alter_table('test_results', schema=None) as batch_op:
        batch_op.create_index('ix_test_results_scenario_id_run_id', ['scenario_id', 'run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_test_results_test_case_id'), ['test_case_id'], unique=False)

    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('execution_count', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('flaky', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    # SQLite rebuilt the scenarios table, and its search triggers went with the old one: alembic/env.py puts them
    # back after every migration (tracertm.search.documents.repair_sqlite).


def downgrade() -> None:
    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.drop_column('flaky')
        batch_op.drop_column('execution_count')
        batch_op.drop_column('last_status')

    with op.batch_alter_table('test_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_results_test_case_id'))
        batch_op.drop_index('ix_test_results_scenario_id_run_id')

    op.drop_table('test_results')
    with op.batch_alter_table('test_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_test_runs_project_id_imported_at')

    op.drop_table('test_runs')
