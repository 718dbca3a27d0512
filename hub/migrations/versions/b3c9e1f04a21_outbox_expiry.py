"""outbox: expires_at and expired_at (time-bound mail is never sent late)

Revision ID: b3c9e1f04a21
Revises: cc008437c14e
Create Date: 2026-12-06 12:30:00

"""

import sqlalchemy as sa
from alembic import op

import hub.models.types

# revision identifiers, used by Alembic.
revision = "b3c9e1f04a21"
down_revision = "cc008437c14e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", hub.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("expired_at", hub.models.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("expired_at")
        batch_op.drop_column("expires_at")
