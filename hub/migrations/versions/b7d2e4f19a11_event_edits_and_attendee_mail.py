"""event status (cancelled by an organiser), event edit history, mail to attendees

Revision ID: b7d2e4f19a11
Revises: c12a7f0e5b31
Create Date: 2026-12-06 12:45:00

"""
from alembic import op
import sqlalchemy as sa

import hub.models.types


revision = 'b7d2e4f19a11'
down_revision = 'c12a7f0e5b31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='scheduled', nullable=False))
    op.create_table('event_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('account_email', sa.String(length=254), nullable=False),
    sa.Column('changed_at', hub.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('notified', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_event_changes_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_changes_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_changes'))
    )
    op.create_index('ix_event_changes_event_id_changed_at', 'event_changes', ['event_id', 'changed_at'], unique=False)
    op.create_table('attendee_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('account_email', sa.String(length=254), nullable=False),
    sa.Column('sent_at', hub.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_attendee_mails_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_attendee_mails_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendee_mails'))
    )
    op.create_index('ix_attendee_mails_event_id_sent_at', 'attendee_mails', ['event_id', 'sent_at'], unique=False)


def downgrade():
    op.drop_index('ix_attendee_mails_event_id_sent_at', table_name='attendee_mails')
    op.drop_table('attendee_mails')
    op.drop_index('ix_event_changes_event_id_changed_at', table_name='event_changes')
    op.drop_table('event_changes')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('status')
