"""Livestream figures (peak viewers, views, processed), the channel's last sync, and the
in-person attendee's "recording ready" choice.

Revision ID: c12a7f0e5b31
Revises: 8a3c5e1f0b28
Create Date: 2026-12-06 12:30:00
"""

import sqlalchemy as sa
from alembic import op

import hub.models.types

revision = "c12a7f0e5b31"
down_revision = "8a3c5e1f0b28"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("livestreams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("peak_viewers", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("view_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("processed", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("youtube_channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("synced_at", hub.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sync_units", sa.Integer(), nullable=True))
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wants_recording", sa.Boolean(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("wants_recording")
    with op.batch_alter_table("youtube_channels", schema=None) as batch_op:
        batch_op.drop_column("sync_units")
        batch_op.drop_column("synced_at")
    with op.batch_alter_table("livestreams", schema=None) as batch_op:
        batch_op.drop_column("processed")
        batch_op.drop_column("view_count")
        batch_op.drop_column("peak_viewers")
