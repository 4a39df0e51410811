"""A group's own collecting account: where buyers pay its invoices by bank transfer, instead of the marketplace's account.

Like payout details, only the group's owners set or remove it, every owner is told by e-mail of each change,
and the account number is encrypted at rest (marketplace.secrets). Its details are opened only to print them
on the group's invoices; every other page shows the hint ("Equity Bank ···4321").
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Role
from marketplace.accounts.services import require_confirmed, require_role
from marketplace.billing.models import Invoice, Payment, Payout
from marketplace.db import use_case
from marketplace.errors import Conflict, DomainError
from marketplace.i18n import lazy_gettext as _l
from marketplace.notifications import notify
from marketplace.producers.models import ProducerGroup
from marketplace.text import clean_line
from payments.models import CollectingAccount

FIELDS = ("bank", "account_name", "number", "other")


@use_case
def save_collecting_account(
    session: Session,
    group: ProducerGroup,
    membership: Membership,
    *,
    bank: str,
    account_name: str,
    number: str,
    other: str,
    box: Any,
    base_url: str,
) -> CollectingAccount:
    """Set the account buyers pay the group's invoices into; its details are sealed by `box` (a SecretBox).

    Raises Forbidden for anyone but a confirmed owner, DomainError (with the field) for a missing bank or
    name, or an account number with fewer than six letters or digits. Every owner is e-mailed.
    """
    require_role(membership, Role.OWNER)
    require_confirmed(membership)
    bank, account_name, number, other = (
        clean_line(v) for v in (bank, account_name, number, other)
    )  # one line each: sealed "\n"-joined
    if not bank:
        raise DomainError(_("Say which bank the account is at."), field="bank")
    if not account_name:
        raise DomainError(_("Give the name the account is in."), field="account_name")
    digits = "".join(ch for ch in number if ch.isalnum())
    if len(digits) < 6:
        raise DomainError(_("Give the full account number or IBAN."), field="number")
    account = session.get(CollectingAccount, group.id, with_for_update=True) or CollectingAccount(group_id=group.id)
    account.details_secret = box.seal("\n".join([bank, account_name, number, other]))
    account.details_hint = f"{bank[:60]} ···{digits[-4:]}"
    account.updated_by_id = membership.user_id
    session.add(account)
    notify(
        session,
        group.organization_id,
        subject=_l("Buyers now pay you into a new account"),
        body=_l(
            "%(person)s (%(email)s) set the bank account buyers pay your invoices into: %(hint)s. Invoices show it from now on. "
            "If this was not you, tell the Loom team at once and change your password.",
            person=membership.user.name,
            email=membership.user.email,
            hint=account.details_hint,
        ),
        link=f"{base_url.rstrip('/')}/manage/payouts",
    )
    return account


@use_case
def remove_collecting_account(session: Session, group: ProducerGroup, membership: Membership, *, base_url: str) -> None:
    """Go back to the marketplace's account on the group's invoices; every owner is e-mailed. Raises Conflict if none is set."""
    require_role(membership, Role.OWNER)
    require_confirmed(membership)
    account = session.get(CollectingAccount, group.id, with_for_update=True)
    if account is None:
        raise Conflict(_("Your invoices already show the marketplace's account."))
    session.delete(account)
    notify(
        session,
        group.organization_id,
        subject=_l("Buyers now pay you through Loom"),
        body=_l(
            "%(person)s (%(email)s) removed your own bank account from your invoices: buyers pay the marketplace's account, "
            "and Loom pays you out. If this was not you, tell the Loom team at once.",
            person=membership.user.name,
            email=membership.user.email,
        ),
        link=f"{base_url.rstrip('/')}/manage/payouts",
    )


def account_details(account: CollectingAccount | None, box: Any) -> dict[str, str] | None:
    """Return `account` as the invoice prints it (bank, account_name, number, other), or None for no account.

    Raises ValueError when its details were sealed under another key than `box`'s.
    """
    if account is None:
        return None
    return dict(zip(FIELDS, box.open(account.details_secret).split("\n"), strict=True))


def payout_and_account(session: Session, invoice: Invoice) -> tuple[Payout | None, CollectingAccount | None]:
    """Return the invoice's payout and its group's collecting account (each None when there is none), in one statement.

    The invoice page shows both: one round trip, not two (issue 19). Each is at most one row (the payout's
    invoice is unique, the account's key is the group), so the outer joins from the invoice's row give one row.
    """
    row = session.execute(
        select(Payout, CollectingAccount)
        .select_from(Invoice)
        .outerjoin(Payout, Payout.invoice_id == Invoice.id)
        .outerjoin(CollectingAccount, CollectingAccount.group_id == Invoice.group_id)
        .where(Invoice.id == invoice.id)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else (None, None)


DIRECT = "group"  # Payment.provider_ref prefix of a bank transfer into the group's own collecting account


def paid_to_group(payment: Payment) -> bool:
    """Whether the buyer paid straight into the group's own collecting account (recorded as such by the operator)."""
    return payment.provider == "bank_transfer" and (payment.provider_ref or "").startswith(f"{DIRECT}:")
