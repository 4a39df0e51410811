"""Loom's fee on money paid straight into a group's own account: charged, netted from payouts, billed, credited back.

When a buyer pays an invoice into the group's own collecting account (payments.collecting), Loom receives
nothing, yet its fee is due all the same (the same rule as on every payout: a percentage of the price before
sales tax). Each group has a fee ledger (FeeLedger, locked by every change) whose entries (FeeEntry) say, per
invoice, what the group still owes:

- charged when the transfer is marked received (+ the fee);
- netted from the group's next payouts in that currency (Stripe transfers and the mobile-money or bank payouts
  the operator records alike) (−, one entry per payout and invoice; a payout
  never goes below zero, the rest waits for the next one; a credit is added to the payout instead);
- moved onto a fee statement the operator issues, with the marketplace's bank-transfer instructions, for fees no
  payout can take (−); the statement is marked received when the group's transfer arrives;
- credited back when part of the invoice is refunded to the buyer (−, the fee on the refunded part).

Every entry carries a key naming the fact it records, so a retried payout plan, a second delivery of a refund
or a double post writes nothing twice. Marketplaces such as Etsy, Faire and Open Food Network work the same way:
fees are a running balance per seller, taken from the next payouts, otherwise invoiced.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from marketplace.billing.models import Invoice, Payout, PayoutStatus
from marketplace.db import lock, use_case, utcnow
from marketplace.errors import Conflict, DomainError, NotFound
from marketplace.i18n import lazy_gettext as _l
from marketplace.i18n import lazy_money
from marketplace.money import format_money, round_money
from marketplace.notifications import notify
from marketplace.outbox.events import DirectFeeChanged, publish
from marketplace.producers.models import ProducerGroup
from payments.models import FeeEntry, FeeEntryKind, FeeLedger, FeeStatement, FeeStatementStatus


def lock_ledger(session: Session, group_id: int) -> FeeLedger:
    """Hold the group's fee ledger until the transaction ends (made on first use; two first uses at once make one)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(FeeLedger).values(group_id=group_id, updated_at=utcnow()).on_conflict_do_nothing())
    ledger = lock(session, FeeLedger, group_id)
    ledger.updated_at = utcnow()
    return ledger


def _write(session: Session, entry: FeeEntry) -> FeeEntry | None:
    """Add `entry` unless an entry with its key exists (the fact is already recorded); the caller holds the ledger.

    The invoice's new fee position is published (DirectFeeChanged), for the group's books.
    """
    if entry.amount == 0 or session.scalar(select(FeeEntry.id).where(FeeEntry.key == entry.key)) is not None:
        return None
    session.add(entry)
    session.flush()
    announce_position(session, entry.invoice_id)
    return entry


def announce_position(session: Session, invoice_id: int) -> None:
    """Publish Loom's fee position on a directly paid invoice (DirectFeeChanged), computed from its entries now.

    charged: the CHARGED entry; credited: minus the CREDITED entries; settled: minus the NETTED entries (a
    release or a fee given back through a payout lowers it) and minus the STATEMENT entries of statements marked
    received. `version` counts the entries and the received statements, which only ever grow.
    """
    rows = session.execute(
        select(FeeEntry.kind, FeeEntry.amount, FeeEntry.created_at, FeeStatement.status)
        .outerjoin(FeeStatement, FeeEntry.statement_id == FeeStatement.id)
        .where(FeeEntry.invoice_id == invoice_id)
        .order_by(FeeEntry.id)
    ).all()
    charged = [r for r in rows if r.kind == FeeEntryKind.CHARGED]
    if not charged:
        return
    received = [r for r in rows if r.kind == FeeEntryKind.STATEMENT and r.status == FeeStatementStatus.RECEIVED]
    publish(
        session,
        DirectFeeChanged(
            session.get(Invoice, invoice_id),
            charged=charged[0].amount,
            credited=-sum((r.amount for r in rows if r.kind == FeeEntryKind.CREDITED), Decimal(0)),
            settled=-sum((r.amount for r in rows if r.kind == FeeEntryKind.NETTED), Decimal(0))
            - sum((r.amount for r in received), Decimal(0)),
            version=len(rows) + len(received),
            charged_on=charged[0].created_at.date(),
        ),
    )


def owed_per_invoice(session: Session, group_id: int, currency: str | None = None) -> list[tuple[Invoice, Decimal]]:
    """What the group still owes Loom per invoice (oldest first): the sum of the invoice's entries, non-zero only.

    A negative amount is a fee Loom gives back (credited after the fee was already netted or billed).
    """
    query = (
        select(FeeEntry.invoice_id, func.sum(FeeEntry.amount))
        .where(FeeEntry.group_id == group_id)
        .group_by(FeeEntry.invoice_id)
        .order_by(FeeEntry.invoice_id)
    )
    if currency is not None:
        query = query.where(FeeEntry.currency == currency)
    sums = [(invoice_id, Decimal(total)) for invoice_id, total in session.execute(query) if Decimal(total) != 0]
    invoices = {i.id: i for i in session.scalars(select(Invoice).where(Invoice.id.in_([i for i, _ in sums])))}
    return [(invoices[invoice_id], total) for invoice_id, total in sums]


@dataclass(frozen=True)
class FeesOwed:
    """A group's fee position in one currency: what no statement took yet (`open`), and statements not yet paid."""

    currency: str
    open: Decimal
    lines: list[tuple[Invoice, Decimal]]
    statements: list[FeeStatement]

    @property
    def total(self) -> Decimal:
        """All the group owes in this currency: the open fees and the unpaid statements."""
        return self.open + sum((s.amount for s in self.statements), Decimal(0))


def fees_owed(session: Session, group_id: int) -> list[FeesOwed]:
    """The group's fees owed to Loom, per currency (for /manage/payouts and the operator's payout desk)."""
    lines: dict[str, list[tuple[Invoice, Decimal]]] = defaultdict(list)
    for invoice, amount in owed_per_invoice(session, group_id):
        lines[invoice.currency].append((invoice, amount))
    statements: dict[str, list[FeeStatement]] = defaultdict(list)
    for statement in session.scalars(
        select(FeeStatement)
        .where(
            FeeStatement.group_id == group_id,
            FeeStatement.status == FeeStatementStatus.ISSUED,
            FeeStatement.voided_at.is_(None),
        )
        .order_by(FeeStatement.id)
    ):
        statements[statement.currency].append(statement)
    return [
        FeesOwed(currency, sum((a for _i, a in lines[currency]), Decimal(0)), lines[currency], statements[currency])
        for currency in sorted(set(lines) | set(statements))
    ]


def groups_owing(session: Session) -> list[tuple[ProducerGroup, list[FeesOwed]]]:
    """Every group that owes Loom fees or has a statement out, with its position (the operator's payout desk)."""
    ids = set(session.scalars(select(FeeEntry.group_id).distinct())) | set(
        session.scalars(
            select(FeeStatement.group_id).where(
                FeeStatement.status == FeeStatementStatus.ISSUED, FeeStatement.voided_at.is_(None)
            )
        )
    )
    groups = session.scalars(select(ProducerGroup).where(ProducerGroup.id.in_(ids)).order_by(ProducerGroup.name))
    return [(g, owed) for g in groups if (owed := fees_owed(session, g.id))]


@dataclass(frozen=True)
class PayoutFeeLine:
    """What a payout's entries did to one invoice's fee: −amount netted from it, +amount a fee given back through it."""

    invoice: Invoice
    amount: Decimal
    currency: str


def closed_statements(session: Session, group_id: int | None = None, *, limit: int = 50) -> list[FeeStatement]:
    """Fee statements paid or voided, newest first (all groups' when `group_id` is None), at most `limit`."""
    query = (
        select(FeeStatement)
        .where((FeeStatement.status == FeeStatementStatus.RECEIVED) | FeeStatement.voided_at.is_not(None))
        .options(
            selectinload(FeeStatement.group),
            selectinload(FeeStatement.issued_by),
            selectinload(FeeStatement.received_by),
            selectinload(FeeStatement.voided_by),
        )
        .order_by(FeeStatement.id.desc())
        .limit(limit)
    )
    if group_id is not None:
        query = query.where(FeeStatement.group_id == group_id)
    return list(session.scalars(query))


def entries_of_payouts(session: Session, payout_ids: list[int]) -> dict[int, list[PayoutFeeLine]]:
    """The fee lines of each of these payouts, by payout id: per invoice, the sum of its entries (zero sums left out).

    A netting later released by a refund (release_netting) shows as what stayed netted, not as two lines.
    """
    sums: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    invoices: dict[int, Invoice] = {}
    currencies: dict[int, str] = {}
    if payout_ids:
        for entry in session.scalars(
            select(FeeEntry)
            .where(FeeEntry.payout_id.in_(payout_ids))
            .options(selectinload(FeeEntry.invoice))
            .order_by(FeeEntry.id)
        ):
            sums[entry.payout_id][entry.invoice_id] += entry.amount
            invoices[entry.invoice_id], currencies[entry.payout_id] = entry.invoice, entry.currency
    return {
        payout_id: [PayoutFeeLine(invoices[i], amount, currencies[payout_id]) for i, amount in lines.items() if amount != 0]
        for payout_id, lines in sums.items()
    }


# --- the fee is charged ------------------------------------------------------------------------------------------


def charge_direct_fee(session: Session, invoice: Invoice, fee: Decimal) -> FeeEntry | None:
    """Record Loom's `fee` on `invoice`, paid straight into the group's own account, as owed by the group (once).

    The caller settles the invoice (its row is locked); the group's ledger is locked here.
    """
    lock_ledger(session, invoice.group_id)
    return _write(
        session,
        FeeEntry(
            group_id=invoice.group_id,
            key=f"charged:{invoice.id}",
            kind=FeeEntryKind.CHARGED,
            invoice_id=invoice.id,
            amount=fee,
            currency=invoice.currency,
        ),
    )


# --- netted from the next payout ----------------------------------------------------------------------------------


def net_into_payout(session: Session, payout: Payout) -> Decimal:
    """Take the group's fees owed in the payout's currency from a pending payout, oldest first; return what was taken.

    Fees Loom gives back (a negative balance on an invoice) are added first; then each fee owed is taken while the
    payout stays at or above zero, the rest waiting for the next payout. A payout netted to zero has nothing to
    send and is recorded as settled. Netting a payout twice (a retried plan) takes nothing more: its entries
    exist. The group's ledger is locked here; a group that never owed a fee has no ledger row, and nothing is locked
    (a fee charged meanwhile waits for the next payout).
    """
    if session.get(FeeLedger, payout.group_id) is None:
        return Decimal(0)
    lock_ledger(session, payout.group_id)
    if payout.status != PayoutStatus.PENDING or session.scalar(select(FeeEntry.id).where(FeeEntry.payout_id == payout.id)):
        return Decimal(0)
    owed = owed_per_invoice(session, payout.group_id, payout.currency)
    taken = Decimal(0)
    for invoice, amount in sorted(owed, key=lambda line: line[1] > 0):  # credits (negative) first, then fees, oldest first
        share = amount if amount < 0 else min(amount, payout.amount)
        if share == 0:
            continue
        entry = FeeEntry(
            group_id=payout.group_id,
            key=f"netted:{payout.id}:{invoice.id}",
            kind=FeeEntryKind.NETTED,
            invoice_id=invoice.id,
            amount=-share,
            currency=payout.currency,
            payout_id=payout.id,
        )
        if _write(session, entry) is not None:
            payout.amount -= share
            payout.fees_netted += share
            taken += share
    if taken and payout.amount == 0:
        close_as_netted(payout)
    return taken


def close_as_netted(payout: Payout) -> None:
    """Record a pending payout left at zero by its netted fees as settled: there is nothing to send."""
    payout.status, payout.sent_at, payout.confirmed_at, payout.reference = (
        PayoutStatus.CONFIRMED,
        utcnow(),
        utcnow(),
        "netted",
    )
    payout.note = "Nothing to send: all of it went to Loom's fees on invoices paid into the group's own account."


def release_netting(session: Session, payout: Payout, up_to: Decimal, refund_id: int) -> Decimal:
    """Give up to `up_to` of the fees netted from an unsent payout back to the group's open balance; return how much.

    A refund that shrinks a pending payout (payments.refund_settlement) takes the group's share first; when that
    leaves less than the fees netted from it, the netting is reversed, newest invoice first, by what the payout
    went below zero: the payout ends at zero, never below, and those fees are owed again (netted from the next
    payout or billed by a statement). A payout that will never be sent (reversed) releases all of its netting.
    This is Stripe Connect's order on a refund of a connected charge (the application fee is reversed before
    the connected account's balance is debited) and how Faire nets fees from later payouts. One entry per
    refund and invoice ("released:<payout>:<invoice>:<refund>"), so a second delivery of the refund writes
    nothing twice. An unsent payout is a pending one or one its fees netted to zero (reference "netted").
    Amounts are in the payout's currency. The ledger is locked here.
    """
    lock_ledger(session, payout.group_id)
    if (payout.status != PayoutStatus.PENDING and payout.reference != "netted") or up_to <= 0:
        return Decimal(0)
    released = _release(session, payout, _netted_from(session, payout), up_to, refund_id)
    payout.amount += released
    payout.fees_netted -= released
    return released


def release_from_sent(session: Session, payout: Payout, keep: Decimal, cause: int | str) -> tuple[Decimal, Decimal]:
    """Put the fees netted from an already sent payout beyond `keep` back on the group's fee ledger; return (released, netted).

    A refund after the payout went out can leave the group's share of the invoice (`keep`, in the payout's currency,
    at least zero) below the fees netted from it: that part of the fees was never really taken, so it is owed again,
    netted from the next payout or billed by a statement, as Faire and Stripe Connect do with a negative balance.
    What stays netted is read from the payout's entries under the ledger's lock (not from `payout.fees_netted`,
    which keeps the figure as sent), so two refunds settled one after the other release only what is left, never
    twice. One entry per cause and invoice ("released:<payout>:<invoice>:<cause>"; the cause is the refund's id, or
    "reversed" for a transfer Stripe reversed), newest invoice first; the payout's own figures stay as sent. `netted`
    is what stays netted from the payout afterwards.
    """
    lock_ledger(session, payout.group_id)
    netted = _netted_from(session, payout)
    total = sum(netted.values(), Decimal(0))
    released = _release(session, payout, netted, total - max(keep, Decimal(0)), cause)
    return released, total - released


def _netted_from(session: Session, payout: Payout) -> dict[int, Decimal]:
    """What stays netted from `payout` per invoice id (its NETTED entries less their releases); the ledger is held."""
    netted: dict[int, Decimal] = defaultdict(Decimal)
    for invoice_id, amount in session.execute(
        select(FeeEntry.invoice_id, FeeEntry.amount).where(FeeEntry.payout_id == payout.id).order_by(FeeEntry.id)
    ):
        netted[invoice_id] -= amount
    return netted


def _release(session: Session, payout: Payout, netted: dict[int, Decimal], up_to: Decimal, cause: int | str) -> Decimal:
    """Write release entries ("released:<payout>:<invoice>:<cause>"), newest invoice first, up to `up_to`; return the sum.

    An entry already written by an earlier delivery of the same cause writes nothing and counts nothing.
    """
    released = Decimal(0)
    for invoice_id in sorted(netted, reverse=True):
        share = min(netted[invoice_id], up_to - released)
        if share <= 0:
            continue
        entry = FeeEntry(
            group_id=payout.group_id,
            key=f"released:{payout.id}:{invoice_id}:{cause}",
            kind=FeeEntryKind.NETTED,
            invoice_id=invoice_id,
            amount=share,
            currency=payout.currency,
            payout_id=payout.id,
        )
        if _write(session, entry) is not None:
            released += share
    return released


# --- credited back on a refund -----------------------------------------------------------------------------------


def credit_refund(session: Session, invoice: Invoice, refund_id: int, paid: Decimal, returned: Decimal) -> FeeEntry | None:
    """Give back Loom's fee on the part of a directly paid invoice that went back to the buyer (once per refund).

    `paid` is what the buyer paid, `returned` all that went back so far (this refund included). The fee that
    stays is the fee at its own rate on what the group keeps, rounded to the currency, so that charged −
    credited always equals the fee on what was kept (a full refund gives the whole fee back).
    """
    lock_ledger(session, invoice.group_id)
    charged = session.scalar(select(FeeEntry).where(FeeEntry.key == f"charged:{invoice.id}"))
    if charged is None or paid <= 0:
        return None
    kept = max(paid - returned, Decimal(0))
    stays = round_money(kept * charged.amount / paid, invoice.currency)
    credited = -sum(
        session.scalars(select(FeeEntry.amount).where(FeeEntry.invoice_id == invoice.id, FeeEntry.kind == FeeEntryKind.CREDITED)),
        Decimal(0),
    )
    return _write(
        session,
        FeeEntry(
            group_id=invoice.group_id,
            key=f"credited:{refund_id}",
            kind=FeeEntryKind.CREDITED,
            invoice_id=invoice.id,
            amount=-(charged.amount - stays - credited),
            currency=invoice.currency,
            refund_id=refund_id,
        ),
    )


# --- billed by statement ------------------------------------------------------------------------------------------


@use_case
def issue_statement(
    session: Session, operator_id: int, group_id: int, currency: str, *, instructions: str, base_url: str
) -> FeeStatement:
    """The operator bills a group the fees owed in `currency` that no payout took; the group is e-mailed how to pay.

    The statement takes every invoice's open balance in that currency (credits lower it). Raises `NotFound`
    (no such group) or `Conflict` (nothing owed). `instructions` are the marketplace's bank-transfer details
    (LOOM_BANK_TRANSFER_INSTRUCTIONS); the statement's number is the reference to quote.
    """
    group = session.get(ProducerGroup, group_id)
    if group is None:
        raise NotFound(_("No such group."))
    lock_ledger(session, group_id)
    lines = owed_per_invoice(session, group_id, currency)
    total = sum((amount for _invoice, amount in lines), Decimal(0))
    if total <= 0:
        raise Conflict(_("This group owes no fees in %(currency)s that a statement could bill.", currency=currency))
    count = session.scalar(select(func.count(FeeStatement.id)).where(FeeStatement.group_id == group_id)) or 0
    statement = FeeStatement(
        group_id=group_id, number=f"FEE-{group.id}-{count + 1}", amount=total, currency=currency, issued_by_id=operator_id
    )
    session.add(statement)
    session.flush()
    for invoice, amount in lines:
        _write(
            session,
            FeeEntry(
                group_id=group_id,
                key=f"statement:{statement.id}:{invoice.id}",
                kind=FeeEntryKind.STATEMENT,
                invoice_id=invoice.id,
                amount=-amount,
                currency=currency,
                statement_id=statement.id,
            ),
        )
    notify(
        session,
        group.organization_id,
        subject=_l(
            "Loom's fees: statement %(number)s for %(amount)s", number=statement.number, amount=lazy_money(total, currency)
        ),
        body=_l(
            "Loom's fees on invoices your buyers paid straight into your own account come to %(amount)s (invoices %(invoices)s). "
            "Please pay them by bank transfer to: %(instructions)s. Reference to quote: %(number)s.",
            amount=lazy_money(total, currency),
            invoices=", ".join(i.number for i, _a in lines),
            instructions=instructions or "—",
            number=statement.number,
        ),
        link=f"{base_url.rstrip('/')}/manage/payouts#fees",
    )
    return statement


@use_case
def mark_statement_received(
    session: Session, operator_id: int, statement_id: int, *, amount: Decimal, reference: str, received_on: dt.date, base_url: str
) -> FeeStatement:
    """The operator marks a group's transfer for a fee statement received (amount, bank reference, date).

    Raises `NotFound`, `Conflict` (already received) or `DomainError` (an amount other than the statement's, no
    reference, a date in the future or before the statement).
    """
    statement = session.get(FeeStatement, statement_id)
    if statement is None:
        raise NotFound(_("No such fee statement."))
    lock_ledger(session, statement.group_id)
    session.refresh(statement)
    if statement.status != FeeStatementStatus.ISSUED:
        raise Conflict(_("Statement %(number)s is already marked received.", number=statement.number))
    if statement.voided_at is not None:
        raise Conflict(_("Statement %(number)s is voided: its fees are open again.", number=statement.number))
    if amount != statement.amount:
        raise DomainError(
            _(
                "Statement %(number)s is for %(amount)s; record it once that amount has arrived.",
                number=statement.number,
                amount=format_money(statement.amount, statement.currency),
            ),
            field="amount",
        )
    if not reference.strip():
        raise DomainError(_("Give the bank's reference for the transfer."), field="reference")
    group = session.get(ProducerGroup, statement.group_id)
    if received_on > group.organization.today() or received_on < statement.issued_at.date() - dt.timedelta(days=1):
        raise DomainError(
            _("Give the day the transfer arrived: not in the future, nor before the statement."), field="received_on"
        )
    statement.received_at = utcnow()  # when the operator marked it (received_on is the bank's day)
    statement.status, statement.reference, statement.received_on, statement.received_by_id = (
        FeeStatementStatus.RECEIVED,
        reference.strip()[:120],
        received_on,
        operator_id,
    )
    session.flush()
    for invoice_id in session.scalars(
        select(FeeEntry.invoice_id).where(FeeEntry.statement_id == statement.id).distinct().order_by(FeeEntry.invoice_id)
    ):
        announce_position(session, invoice_id)  # the statement's fees are paid: the group's books learn it
    notify(
        session,
        group.organization_id,
        subject=_l("Thank you: statement %(number)s is paid", number=statement.number),
        body=_l(
            "Loom received %(amount)s for fee statement %(number)s.",
            amount=lazy_money(statement.amount, statement.currency),
            number=statement.number,
        ),
        link=f"{base_url.rstrip('/')}/manage/payouts#fees",
    )
    return statement


@use_case
def void_statement(session: Session, operator_id: int, statement_id: int, *, reason: str, base_url: str) -> FeeStatement:
    """The operator voids an issued fee statement, with a reason: its fees go back to the group's open balance.

    `operator_id` is the operator's user id, recorded as who voided it.

    One entry per invoice of the statement ("voided:<statement>:<invoice>", the statement's entry reversed), so
    the fees are netted from the group's next payouts or billed by a new statement; the group is e-mailed the
    reason. Raises `NotFound`, `Conflict` (already received or voided) or `DomainError` (no reason, field
    "reason"). The reason is kept on the statement (at most 300 characters), with who voided it and when, which
    the operator's desk and the group's past statements show.
    """
    statement = session.get(FeeStatement, statement_id)
    if statement is None:
        raise NotFound(_("No such fee statement."))
    lock_ledger(session, statement.group_id)
    session.refresh(statement)
    if not statement.open:
        raise Conflict(_("Statement %(number)s is already paid or voided.", number=statement.number))
    if not reason.strip():
        raise DomainError(_("Say why the statement is voided."), field="reason")
    for entry in session.scalars(
        select(FeeEntry)
        .where(FeeEntry.statement_id == statement.id, FeeEntry.kind == FeeEntryKind.STATEMENT)
        .order_by(FeeEntry.id)
    ).all():
        _write(
            session,
            FeeEntry(
                group_id=statement.group_id,
                key=f"voided:{statement.id}:{entry.invoice_id}",
                kind=FeeEntryKind.STATEMENT,
                invoice_id=entry.invoice_id,
                amount=-entry.amount,
                currency=entry.currency,
                statement_id=statement.id,
            ),
        )
    statement.voided_at, statement.voided_by_id, statement.void_reason = utcnow(), operator_id, reason.strip()[:300]
    group = session.get(ProducerGroup, statement.group_id)
    notify(
        session,
        group.organization_id,
        subject=_l("Fee statement %(number)s is cancelled", number=statement.number),
        body=_l(
            "Loom cancelled fee statement %(number)s (%(amount)s): %(reason)s. Do not pay it. Its fees are back in what "
            "you owe Loom: they are taken from your next payouts or billed again.",
            number=statement.number,
            amount=lazy_money(statement.amount, statement.currency),
            reason=statement.void_reason,
        ),
        link=f"{base_url.rstrip('/')}/manage/payouts#fees",
    )
    return statement
