"""festival dates, event revisions and the data version

Revision ID: b3f1c0a7d210
Revises: b3c9e1f04a21
Create Date: 2026-12-06 12:30:00

"""

import sqlalchemy as sa
from alembic import op

import hub.models.types

revision = "b3f1c0a7d210"
down_revision = "b3c9e1f04a21"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("festivals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("updated_at", hub.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("link_texts", sa.JSON(), nullable=True))
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.String(length=300), nullable=True))
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("speakers_label", sa.String(length=300), nullable=True))
    version = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.bulk_insert(version, [{"id": 1, "version": 1}])


def downgrade():
    op.drop_table("data_version")
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.drop_column("speakers_label")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("link_texts")
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_column("description")
        batch_op.drop_column("sequence")
    with op.batch_alter_table("festivals", schema=None) as batch_op:
        batch_op.drop_column("ends_on")
        batch_op.drop_column("starts_on")
