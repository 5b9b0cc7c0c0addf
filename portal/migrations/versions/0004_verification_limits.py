"""Per-sender rate limit of identity checks: failed verifications by sender key (a keyed hash).

Revision ID: 0004_verification_limits
Revises: 0003_sms
Create Date: 2024-12-19
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_verification_limits"
down_revision = "0003_sms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("sender_key", sa.String(80), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_verification_failures"),
    )
    op.create_index("ix_verification_failures_sender_key", "verification_failures", ["sender_key"])
    op.create_index("ix_verification_failures_failed_at", "verification_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_table("verification_failures")
