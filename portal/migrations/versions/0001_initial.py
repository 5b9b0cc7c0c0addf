"""Initial schema: schools, persons, guardian links, portal accounts, activation keys, tickets, ticket events.

Revision ID: 0001_initial
Revises:
Create Date: 2024-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

ACTIVE_TICKETS = sa.text("status IN ('open', 'in_progress')")


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("org_type", sa.String(32), nullable=False),
        sa.Column("identifier", sa.String(255)),
        sa.Column("parent_id", sa.String(255)),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("date_last_modified"),
        sa.PrimaryKeyConstraint("id", name="pk_schools"),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("given_name", sa.String(255), nullable=False),
        sa.Column("family_name", sa.String(255), nullable=False),
        sa.Column("middle_name", sa.String(255)),
        sa.Column("identifier", sa.String(255)),
        sa.Column("email", sa.String(320)),
        sa.Column("sms", sa.String(64)),
        sa.Column("phone", sa.String(64)),
        sa.Column("email_norm", sa.String(320)),
        sa.Column("sms_digits", sa.String(16)),
        sa.Column("name_key", sa.String(512)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("school_id", sa.String(255)),
        sa.Column("org_ids", sa.JSON(), nullable=False),
        sa.Column("enabled_user", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("date_last_modified"),
        sa.CheckConstraint("role IN ('student', 'guardian', 'parent', 'relative')", name="ck_persons_role"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name="fk_persons_school_id_schools"),
        sa.PrimaryKeyConstraint("id", name="pk_persons"),
    )
    op.create_index("ix_persons_email_norm", "persons", ["email_norm"])
    op.create_index("ix_persons_sms_digits", "persons", ["sms_digits"])
    op.create_index("ix_persons_name_key", "persons", ["name_key"])
    op.create_index("ix_persons_school_id", "persons", ["school_id"])

    op.create_table(
        "guardian_links",
        sa.Column("guardian_id", sa.String(255), nullable=False),
        sa.Column("student_id", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guardian_id"], ["persons.id"], name="fk_guardian_links_guardian_id_persons", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["persons.id"], name="fk_guardian_links_student_id_persons", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("guardian_id", "student_id", name="pk_guardian_links"),
    )
    op.create_index("ix_guardian_links_student_id", "guardian_links", ["student_id"])

    op.create_table(
        "portal_accounts",
        sa.Column("person_id", sa.String(255), nullable=False),
        sa.Column("username", sa.String(255)),
        sa.Column("account_status", sa.String(16), nullable=False),
        sa.Column("security_email", sa.String(320)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "account_status IN ('none', 'active', 'disabled', 'locked')", name="ck_portal_accounts_account_status"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_portal_accounts_person_id_persons", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", name="pk_portal_accounts"),
    )

    op.create_table(
        "activation_keys",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("person_id", sa.String(255), nullable=False),
        sa.Column("redeemed", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_activation_keys_person_id_persons", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_activation_keys"),
        sa.UniqueConstraint("key", name="uq_activation_keys_key"),
    )
    op.create_index("ix_activation_keys_person_id", "activation_keys", ["person_id"])

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("school_id", sa.String(255)),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("guardian_id", sa.String(255)),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("external_id", sa.String(255)),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.CheckConstraint(
            "kind IN ('account_reset', 'household_fix', 'key_not_received', 'handoff', 'other')",
            name="ck_tickets_kind",
        ),
        sa.CheckConstraint("status IN ('open', 'in_progress', 'resolved', 'closed')", name="ck_tickets_status"),
        sa.ForeignKeyConstraint(
            ["guardian_id"], ["persons.id"], name="fk_tickets_guardian_id_persons", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
    )
    op.create_index("ix_tickets_conversation_id", "tickets", ["conversation_id"])
    op.create_index("ix_tickets_status_school_id", "tickets", ["status", "school_id"])
    op.create_index(
        "uq_tickets_active_conversation_kind",
        "tickets",
        ["conversation_id", "kind"],
        unique=True,
        sqlite_where=ACTIVE_TICKETS,
        postgresql_where=ACTIVE_TICKETS,
    )

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        _ts("at", nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_ticket_events_ticket_id_tickets", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_events"),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("ticket_events")
    op.drop_table("tickets")
    op.drop_table("activation_keys")
    op.drop_table("portal_accounts")
    op.drop_table("guardian_links")
    op.drop_table("persons")
    op.drop_table("schools")
