"""Portal accounts: what the assistant may tell a verified parent about their Campus Parent login."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.households import school_ids_for_guardian
from portal.identity import mask_username
from portal.models import GUARDIAN_ROLES, ActivationKey, Person, PortalAccount


# Account statuses a parent cannot sign in with until the school unlocks the account.
LOCKED_STATUSES = ("disabled", "locked")


@dataclass(frozen=True)
class AccountInfo:
    """A guardian's portal account, safe to show a verified parent.

    account_status: none|active|disabled|locked ("none" also when no account is on file).
    key_redeemed: True/False for the guardian's current activation key, None when no key is on file.
    """

    masked_username: Optional[str]
    account_status: str
    has_security_email: bool
    key_redeemed: Optional[bool]
    school_ids: tuple[str, ...]


def account_for_guardian(session: Session, guardian_id: str) -> Optional[AccountInfo]:
    """The account of an active guardian record, or None when there is no such guardian."""
    guardian = session.execute(
        select(Person.id).where(Person.id == guardian_id, Person.role.in_(GUARDIAN_ROLES), Person.active.is_(True))
    ).scalar_one_or_none()
    if guardian is None:
        return None
    account = session.execute(
        select(PortalAccount).where(PortalAccount.person_id == guardian_id, PortalAccount.active.is_(True))
    ).scalar_one_or_none()
    redeemed = session.execute(
        select(ActivationKey.redeemed)
        .where(ActivationKey.person_id == guardian_id, ActivationKey.active.is_(True))
        .order_by(ActivationKey.redeemed.desc(), ActivationKey.id.desc())
    ).first()
    return AccountInfo(
        masked_username=mask_username(account.username) if account and account.username else None,
        account_status=account.account_status if account else "none",
        has_security_email=bool(account and (account.security_email or "").strip()),
        key_redeemed=None if redeemed is None else bool(redeemed[0]),
        school_ids=school_ids_for_guardian(session, guardian_id),
    )
