"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracertm.models.types import GUID, JSONType, NullableJSON, UTCDateTime, utcnow

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('projects',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('repo_url', sa.String(length=1024), nullable=True),
    sa.Column('default_ref', sa.String(length=255), nullable=True),
    sa.Column('last_synced_commit', sa.String(length=40), nullable=True),
    sa.Column('last_synced_at', UTCDateTime(), nullable=True),
    sa.Column('project_metadata', JSONType, server_default=sa.text("'{}'"), nullable=False),
    sa.Column('id', GUID, nullable=False),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('name', name=op.f('uq_projects_name'))
    )
    op.create_table('adrs',
    sa.Column('adr_number', sa.String(length=255), nullable=False),
    sa.Column('project_id', GUID, nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'accepted', 'deprecated', 'superseded', 'rejected', name='adr_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('context', sa.Text(), nullable=True),
    sa.Column('decision', sa.Text(), nullable=True),
    sa.Column('consequences', sa.Text(), nullable=True),
    sa.Column('decision_drivers', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('considered_options', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('related_requirements', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('related_adrs', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('supersedes', sa.String(length=255), nullable=True),
    sa.Column('superseded_by', sa.String(length=255), nullable=True),
    sa.Column('compliance_score', sa.Float(), nullable=True),
    sa.Column('stakeholders', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('tags', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('approved_at', UTCDateTime(), nullable=True),
    sa.Column('approved_by', sa.String(length=255), nullable=True),
    sa.Column('last_verified_at', UTCDateTime(), nullable=True),
    sa.Column('id', GUID, nullable=False),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('adr_metadata', JSONType, server_default=sa.text("'{}'"), nullable=False),
    sa.Column('source_path', sa.String(length=1024), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('source_commit', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_adrs_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adrs')),
    sa.UniqueConstraint('project_id', 'adr_number', name=op.f('uq_adrs_project_id_adr_number'))
    )
    with op.batch_alter_table('adrs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adrs_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index('ix_adrs_project_id_status', ['project_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_adrs_status'), ['status'], unique=False)

    op.create_table('contracts',
    sa.Column('contract_number', sa.String(length=255), nullable=False),
    sa.Column('project_id', GUID, nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('contract_type', sa.Enum('interface', 'component', 'service', 'system', 'integration', 'database', name='contract_type', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('status', sa.Enum('draft', 'review', 'approved', 'deprecated', 'archived', name='contract_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('preconditions', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('postconditions', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('invariants', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('states', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('transitions', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('executable_spec', sa.Text(), nullable=True),
    sa.Column('spec_language', sa.String(length=64), nullable=True),
    sa.Column('verification_result', NullableJSON, nullable=True),
    sa.Column('verification_timestamp', UTCDateTime(), nullable=True),
    sa.Column('last_verified_at', UTCDateTime(), nullable=True),
    sa.Column('approved_by', sa.String(length=255), nullable=True),
    sa.Column('approved_at', UTCDateTime(), nullable=True),
    sa.Column('tags', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('id', GUID, nullable=False),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('contract_metadata', JSONType, server_default=sa.text("'{}'"), nullable=False),
    sa.Column('source_path', sa.String(length=1024), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('source_commit', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_contracts_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('project_id', 'contract_number', name=op.f('uq_contracts_project_id_contract_number'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index('ix_contracts_project_id_contract_type', ['project_id', 'contract_type'], unique=False)
        batch_op.create_index('ix_contracts_project_id_status', ['project_id', 'status'], unique=False)

    op.create_table('features',
    sa.Column('feature_number', sa.String(length=255), nullable=False),
    sa.Column('project_id', GUID, nullable=False),
    sa.Column('name', sa.String(length=1000), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('as_a', sa.Text(), nullable=True),
    sa.Column('i_want', sa.Text(), nullable=True),
    sa.Column('so_that', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'review', 'approved', 'deprecated', 'archived', name='feature_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('file_path', sa.String(length=1024), nullable=True),
    sa.Column('background', sa.Text(), nullable=True),
    sa.Column('tags', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('related_requirements', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('related_adrs', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('approved_by', sa.String(length=255), nullable=True),
    sa.Column('approved_at', UTCDateTime(), nullable=True),
    sa.Column('id', GUID, nullable=False),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('feature_metadata', JSONType, server_default=sa.text("'{}'"), nullable=False),
    sa.Column('source_path', sa.String(length=1024), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('source_commit', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_features_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_features')),
    sa.UniqueConstraint('project_id', 'feature_number', name=op.f('uq_features_project_id_feature_number'))
    )
    with op.batch_alter_table('features', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_features_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index('ix_features_project_id_status', ['project_id', 'status'], unique=False)

    op.create_table('source_files',
    sa.Column('project_id', GUID, nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('kind', sa.Enum('adr', 'contract', 'feature', name='source_file_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('blob_sha', sa.String(length=40), nullable=False),
    sa.Column('size', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('mtime_ns', sa.BigInteger(), nullable=True),
    sa.Column('parse_error', NullableJSON, nullable=True),
    sa.Column('last_commit', sa.String(length=40), nullable=True),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.Column('id', GUID, nullable=False),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_source_files_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_files')),
    sa.UniqueConstraint('project_id', 'path', name=op.f('uq_source_files_project_id_path'))
    )
    with op.batch_alter_table('source_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_files_deleted_at'), ['deleted_at'], unique=False)

    op.create_table('step_definitions',
    sa.Column('project_id', GUID, nullable=True),
    sa.Column('step_type', sa.Enum('given', 'when', 'then', 'and', 'but', name='step_type', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('pattern', sa.String(length=1000), nullable=False),
    sa.Column('regex_pattern', sa.String(length=1000), nullable=True),
    sa.Column('implementation_path', sa.String(length=1024), nullable=True),
    sa.Column('implementation_code', sa.Text(), nullable=True),
    sa.Column('parameters', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('documentation', sa.Text(), nullable=True),
    sa.Column('examples', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('usage_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_used_at', UTCDateTime(), nullable=True),
    sa.Column('id', GUID, nullable=False),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('step_metadata', JSONType, server_default=sa.text("'{}'"), nullable=False),
    sa.Column('source_path', sa.String(length=1024), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('source_commit', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_step_definitions_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_definitions')),
    sa.UniqueConstraint('project_id', 'step_type', 'pattern', name=op.f('uq_step_definitions_project_id_step_type_pattern'))
    )
    with op.batch_alter_table('step_definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_definitions_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index('ix_step_definitions_step_type', ['step_type'], unique=False)

    op.create_table('sync_runs',
    sa.Column('project_id', GUID, nullable=False),
    sa.Column('trigger', sa.Enum('cli', 'hook', 'ci', 'watch', 'backfill', name='sync_trigger', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('ref', sa.String(length=255), nullable=True),
    sa.Column('commit_sha', sa.String(length=40), nullable=True),
    sa.Column('started_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('status', sa.Enum('running', 'ok', 'errors', 'failed', name='sync_status', native_enum=False, create_constraint=True, length=16), server_default=sa.text("'running'"), nullable=False),
    sa.Column('counts', JSONType, server_default=sa.text("'{}'"), nullable=False),
    sa.Column('errors', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('id', GUID, nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_sync_runs_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.create_index('ix_sync_runs_project_id_started_at', ['project_id', 'started_at'], unique=False)

    op.create_table('test_cases',
    sa.Column('project_id', GUID, nullable=False),
    sa.Column('test_case_number', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=True),
    sa.Column('automation_script_path', sa.String(length=1024), nullable=True),
    sa.Column('last_execution_result', sa.String(length=32), nullable=True),
    sa.Column('last_executed_at', UTCDateTime(), nullable=True),
    sa.Column('id', GUID, nullable=False),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('test_case_metadata', JSONType, server_default=sa.text("'{}'"), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_test_cases_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_cases')),
    sa.UniqueConstraint('project_id', 'test_case_number', name=op.f('uq_test_cases_project_id_test_case_number'))
    )
    with op.batch_alter_table('test_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_test_cases_deleted_at'), ['deleted_at'], unique=False)

    op.create_table('scenarios',
    sa.Column('scenario_number', sa.String(length=500), nullable=False),
    sa.Column('feature_id', GUID, nullable=False),
    sa.Column('position', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('gherkin_text', sa.Text(), nullable=True),
    sa.Column('background', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('given_steps', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('when_steps', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('then_steps', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('is_outline', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('examples', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('tags', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('status', sa.Enum('draft', 'review', 'approved', 'deprecated', 'archived', name='scenario_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('requirement_ids', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('test_case_ids', JSONType, server_default=sa.text("'[]'"), nullable=False),
    sa.Column('pass_rate', sa.Float(), nullable=True),
    sa.Column('last_executed_at', UTCDateTime(), nullable=True),
    sa.Column('approved_by', sa.String(length=255), nullable=True),
    sa.Column('approved_at', UTCDateTime(), nullable=True),
    sa.Column('id', GUID, nullable=False),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('scenario_metadata', JSONType, server_default=sa.text("'{}'"), nullable=False),
    sa.Column('source_path', sa.String(length=1024), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('source_commit', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['feature_id'], ['features.id'], name=op.f('fk_scenarios_feature_id_features'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenarios')),
    sa.UniqueConstraint('feature_id', 'scenario_number', name=op.f('uq_scenarios_feature_id_scenario_number'))
    )
    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenarios_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index('ix_scenarios_feature_id_status', ['feature_id', 'status'], unique=False)

    op.create_table('spec_revisions',
    sa.Column('project_id', GUID, nullable=False),
    sa.Column('entity_type', sa.Enum('adr', 'contract', 'feature', 'scenario', name='revision_entity_type', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('entity_id', GUID, nullable=False),
    sa.Column('number', sa.String(length=500), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('change', sa.Enum('created', 'updated', 'deleted', 'restored', 'moved', name='revision_change', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('source_path', sa.String(length=1024), nullable=True),
    sa.Column('snapshot', JSONType, server_default=sa.text("'{}'"), nullable=False),
    sa.Column('commit_sha', sa.String(length=40), nullable=True),
    sa.Column('author_name', sa.String(length=255), nullable=True),
    sa.Column('author_email', sa.String(length=255), nullable=True),
    sa.Column('committed_at', UTCDateTime(), nullable=True),
    sa.Column('sync_run_id', GUID, nullable=True),
    sa.Column('created_at', UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column('id', GUID, nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_spec_revisions_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sync_run_id'], ['sync_runs.id'], name=op.f('fk_spec_revisions_sync_run_id_sync_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spec_revisions'))
    )
    with op.batch_alter_table('spec_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_spec_revisions_entity_id_version', ['entity_id', 'version'], unique=False)
        batch_op.create_index('ix_spec_revisions_project_id_entity_type_number', ['project_id', 'entity_type', 'number'], unique=False)

    op.create_table('scenario_test_case_association',
    sa.Column('scenario_id', GUID, nullable=False),
    sa.Column('test_case_id', GUID, nullable=False),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenarios.id'], name=op.f('fk_scenario_test_case_association_scenario_id_scenarios'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['test_case_id'], ['test_cases.id'], name=op.f('fk_scenario_test_case_association_test_case_id_test_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scenario_id', 'test_case_id', name=op.f('pk_scenario_test_case_association'))
    )
    with op.batch_alter_table('scenario_test_case_association', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_test_case_association_test_case_id'), ['test_case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scenario_test_case_association', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_test_case_association_test_case_id'))

    op.drop_table('scenario_test_case_association')
    with op.batch_alter_table('spec_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_spec_revisions_project_id_entity_type_number')
        batch_op.drop_index('ix_spec_revisions_entity_id_version')

    op.drop_table('spec_revisions')
    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.drop_index('ix_scenarios_feature_id_status')
        batch_op.drop_index(batch_op.f('ix_scenarios_deleted_at'))

    op.drop_table('scenarios')
    with op.batch_alter_table('test_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_cases_deleted_at'))

    op.drop_table('test_cases')
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_runs_project_id_started_at')

    op.drop_table('sync_runs')
    with op.batch_alter_table('step_definitions', schema=None) as batch_op:
        batch_op.drop_index('ix_step_definitions_step_type')
        batch_op.drop_index(batch_op.f('ix_step_definitions_deleted_at'))

    op.drop_table('step_definitions')
    with op.batch_alter_table('source_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_files_deleted_at'))

    op.drop_table('source_files')
    with op.batch_alter_table('features', schema=None) as batch_op:
        batch_op.drop_index('ix_features_project_id_status')
        batch_op.drop_index(batch_op.f('ix_features_deleted_at'))

    op.drop_table('features')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index('ix_contracts_project_id_status')
        batch_op.drop_index('ix_contracts_project_id_contract_type')
        batch_op.drop_index(batch_op.f('ix_contracts_deleted_at'))

    op.drop_table('contracts')
    with op.batch_alter_table('adrs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adrs_status'))
        batch_op.drop_index('ix_adrs_project_id_status')
        batch_op.drop_index(batch_op.f('ix_adrs_deleted_at'))

    op.drop_table('adrs')
    op.drop_table('projects')
