"""Paying groups out: Stripe transfers to Connect accounts, payouts the operator records, onboarding and details."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, get_territory_currencies
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Role, User
from marketplace.accounts.services import require_confirmed, require_role
from marketplace.billing.models import Invoice, Payment, PaymentStatus, Payout, PayoutMethod, PayoutStatus
from marketplace.billing.services import tax_sentence
from marketplace.db import run_write, use_case, utcnow, write_transaction
from marketplace.errors import BadGateway, Conflict, DomainError, NotFound, Unavailable
from marketplace.i18n import format_moment, lazy_join, lazy_label, lazy_moment, lazy_money
from marketplace.i18n import lazy_gettext as _l
from marketplace.money import MAX_TOTAL, format_money, percent_of, round_money
from marketplace.notifications import notify
from marketplace.orders.models import OrderStatus
from marketplace.outbox import topics
from marketplace.outbox.events import InvoicePaymentChanged, publish
from marketplace.outbox.services import enqueue
from marketplace.outbox.worker import PermanentError
from marketplace.producers.models import ProducerGroup
from marketplace.producers.taxonomy import is_currency
from payments import fees
from payments.collecting import paid_to_group
from payments.gateway import StripeGateway, StripeRefused, StripeUnavailable, stripe_id, to_minor
from payments.models import PayoutAccount
from payments.rates import Arrival, NotBookedYet, arrival, read_arrival  # noqa: F401 - arrival: read here by tests
from payments.settings import Settings, stamp


def intent_of(gateway: StripeGateway, provider_ref: str | None, checkout_ref: str | None) -> str | None:
    """Return the PaymentIntent id of a payment: the one Loom knows, else its Checkout Session's, read from Stripe."""
    if provider_ref is None and checkout_ref:
        provider_ref = stripe_id(gateway.checkout(checkout_ref)["payment_intent"] or "") or None
    return provider_ref


def send_transfer(session: Session, gateway_for: Callable[[], StripeGateway], payout_id: int) -> str:
    """Outbox job: transfer a pending payout to the group's Connect account (same key on every try); return what happened.

    No transaction and no row lock is held while Stripe is called: what the transfer needs is read
    first and that read ends; then Stripe is asked (an earlier transfer is looked up by its group and
    metadata before one is made); then the payout is locked and the answer recorded in a short write
    transaction, re-checking that nobody recorded it meanwhile. Raises PermanentError when Stripe refuses.
    """
    payout = session.get(Payout, payout_id)
    if payout is None or payout.status != PayoutStatus.PENDING or payout.method != PayoutMethod.STRIPE_TRANSFER:
        return "nothing to send"
    account = session.get(PayoutAccount, payout.group_id)
    if account is None or not account.ready:
        return "waiting for the group to finish Stripe onboarding"  # account.updated sends it later
    invoice = payout.invoice
    payment = next((p for p in invoice.payments if p.status == PaymentStatus.SUCCEEDED), None)
    if payment is None:
        return "the invoice is no longer paid"
    if invoice.order.status == OrderStatus.CANCELLED:
        return "held: the order was cancelled and the buyer is being refunded"
    transfer_group, payment_id, provider_ref, checkout_ref = (
        invoice.order.number,
        payment.id,
        payment.provider_ref,
        payment.checkout_ref,
    )
    params = {
        "amount": to_minor(payout.amount, payout.currency),
        "currency": payout.currency.lower(),
        "destination": account.stripe_account_id,
        "transfer_group": transfer_group,
        "description": f"Invoice {invoice.number}, less Loom's fee of {format_money(payout.fee, payout.currency)}",
        "metadata": {"loom_payout": str(payout.id), "loom_invoice": str(invoice.id)},
    }
    key, invoice_number, account_id = payout.idempotency_key, invoice.number, account.stripe_account_id
    session.commit()  # end the read (nothing was written): no transaction, row lock or SQLite lock is held while Stripe answers

    gateway = gateway_for()
    try:
        # Stripe forgets idempotency keys after 24 hours: look for a transfer an earlier try made before making one.
        earlier = next(
            (
                t
                for t in gateway.transfers_in_group(transfer_group)
                if (t.get("metadata") or {}).get("loom_payout") == str(payout_id)
            ),
            None,
        )
        provider_ref = intent_of(gateway, provider_ref, checkout_ref) if earlier is None else provider_ref
        charge = gateway.payment_intent(provider_ref).get("latest_charge") if earlier is None and provider_ref else None
        transfer = earlier or gateway.create_transfer(
            {**params, **({"source_transaction": stripe_id(charge)} if charge else {})}, idempotency_key=key
        )
    except StripeRefused as error:
        raise PermanentError(f"Stripe refused the transfer for invoice {invoice_number}: {error}") from error
    arrived, known = _arrival(gateway, transfer, account_id)

    def record(session: Session) -> str:
        payout = session.get(Payout, payout_id, with_for_update=True, populate_existing=True)
        if payout is None or payout.status != PayoutStatus.PENDING:
            return f"transfer {transfer['id']} made; the payout was recorded meanwhile"
        if provider_ref:
            payment = session.get(Payment, payment_id)
            if payment is not None and payment.provider_ref is None:
                payment.provider_ref = provider_ref
        payout.status, payout.reference, payout.sent_at = PayoutStatus.SENT, transfer["id"], utcnow()
        if arrived is not None:
            payout.sent_amount, payout.sent_currency, payout.exchange_rate = arrived
        elif not known:
            enqueue(session, topics.READ_TRANSFER_RATE, payout.id, {"group": payout.group_id})
        publish(session, InvoicePaymentChanged(payout.invoice))
        return f"sent as {transfer['id']}"

    return run_write(session, record)  # a busy database records Stripe's answer again; Stripe is not asked again


def _arrival(gateway: StripeGateway, transfer: Mapping[str, Any], account_id: str | None) -> tuple[Arrival | None, bool]:
    """Ask Stripe what the transfer became on the group's account (`rates.read_arrival`), and whether Stripe could say now.

    (None, False) when Stripe did not answer or has not booked it yet: `rates.fill_rate` asks again from the outbox.
    """
    if not account_id:
        return None, True
    try:
        return read_arrival(gateway, transfer, account_id), True
    except (StripeUnavailable, StripeRefused, NotBookedYet):
        return None, False  # the rate is something to show, not a condition of the transfer: it is read again later


@use_case
def record_payout(
    session: Session,
    operator: User,
    payout_id: int,
    *,
    method: PayoutMethod,
    reference: str,
    note: str,
    base_url: str,
    sent_currency: str | None = None,
    exchange_rate: Decimal | None = None,
    seen_amount: Decimal | None = None,
) -> Payout:
    """The operator records a mobile-money or bank transfer made outside Stripe.

    Sent in another currency than the payout's (`sent_currency`), it needs the `exchange_rate` used (units of
    `sent_currency` for 1 of the payout's currency); the amount sent is the payout's amount at that rate, rounded
    to the sent currency. Raises DomainError (field `sent_currency` or `exchange_rate`) otherwise.
    `seen_amount` is the payout's amount on the page the operator sent the money from: if a refund changed it
    since, Conflict is raised and nothing is recorded (what was sent no longer matches what is owed).
    """
    payout = session.get(Payout, payout_id, with_for_update=True, populate_existing=True)  # the amount as it is now (seen_amount)
    if payout is None:
        raise NotFound(_("No such payout."))
    if payout.method == PayoutMethod.STRIPE_TRANSFER or payout.status != PayoutStatus.PENDING:
        raise Conflict(_("Only a pending payout made outside Stripe can be recorded."))
    if payout.invoice is not None and payout.invoice.order.status == OrderStatus.CANCELLED:
        raise Conflict(_("This payout is held: its order was cancelled and the buyer is being refunded."))
    if seen_amount is not None and seen_amount != payout.amount:
        raise Conflict(
            _(
                "This payout changed from %(seen)s to %(now)s since you opened the page (a refund was made meanwhile). "
                "Check what was sent, then record it again.",
                seen=format_money(seen_amount, payout.currency),
                now=format_money(payout.amount, payout.currency),
            )
        )
    account = session.get(PayoutAccount, payout.group_id)
    if account is None or not account.details_secret:
        raise Conflict(_("The group has not given payout details yet; nothing can be sent."))
    if account.held_until is not None and account.held_until > utcnow():
        raise Conflict(
            _(
                "The group's payout details changed: payouts are held until %(moment)s UTC. "
                "Check the change with the group's owners, then lift the hold.",
                moment=format_moment(account.held_until, "d MMM y HH:mm"),
            )
        )
    if not reference.strip():
        raise DomainError(
            _("Give the transfer's reference (the M-Pesa code or the bank's reference) so the group can match it."),
            field="reference",
        )
    sent_currency = (sent_currency or "").strip().upper() or payout.currency
    if not is_currency(sent_currency):
        raise DomainError(_("Give the currency sent as an ISO 4217 code, such as KES."), field="sent_currency")
    if sent_currency == payout.currency:
        payout.sent_currency = payout.sent_amount = payout.exchange_rate = None
    elif exchange_rate is None or exchange_rate <= 0:
        raise DomainError(
            _(
                "Sent in %(sent)s: give the rate used (%(sent)s for 1 %(currency)s).",
                sent=sent_currency,
                currency=payout.currency,
            ),
            field="exchange_rate",
        )
    else:
        sent_amount = round_money(payout.amount * exchange_rate, sent_currency)
        if sent_amount >= MAX_TOTAL:  # beyond any amount Loom records (and its column holds)
            raise DomainError(
                _("At that rate the amount sent would be beyond any amount Loom records. Check the rate."), field="exchange_rate"
            )
        payout.sent_currency, payout.exchange_rate, payout.sent_amount = sent_currency, exchange_rate, sent_amount
    payout.method, payout.reference, payout.note = method, reference.strip()[:120], note.strip()[:300]
    payout.status, payout.sent_at, payout.recorded_by_id = PayoutStatus.SENT, utcnow(), operator.id
    publish(session, InvoicePaymentChanged(payout.invoice))
    sent = lazy_money(payout.amount, payout.currency)
    if payout.sent_amount is not None:
        sent = _l(
            "%(sent)s (%(amount)s at %(rate)s)",
            sent=lazy_money(payout.sent_amount, payout.sent_currency),
            amount=sent,
            rate=exchange_rate_text(payout),
        )
    notify(
        session,
        payout.invoice.group.organization_id,
        subject=_l("Payout sent: %(amount)s", amount=sent),
        body=_l(
            "The Loom team sent %(amount)s by %(method)s, reference %(reference)s. Please confirm when it arrives.",
            amount=sent,
            method=lazy_label(method),
            reference=payout.reference,
        ),
        link=f"{base_url.rstrip('/')}/manage/payouts",
    )
    return payout


def received_currency(group: ProducerGroup, fallback: str) -> str:
    """The currency a group is paid in outside Stripe: its working currency, else its country's, else `fallback`."""
    if group.currency:
        return group.currency
    local = [c for c in get_territory_currencies(group.country, tender=True) if is_currency(c)]
    return local[0] if local else fallback


def exchange_rate_text(payout: Payout) -> str:
    """The rate a payout was sent at, as people read it: "1 USD = 129.50 KES"; "" when sent in its own currency."""
    if payout.exchange_rate is None or payout.sent_currency is None:
        return ""
    rate = format_decimal(payout.exchange_rate.normalize(), format="#,##0.00##", locale="en")
    return f"1 {payout.currency} = {rate} {payout.sent_currency}"


@use_case
def confirm_payout(session: Session, membership: Membership | None, payout_id: int) -> Payout:
    """The group confirms a recorded payout arrived.

    Raises `NotFound` (not the membership's group's payout) or `Conflict` (not recorded as sent).
    """
    require_role(membership, Role.ADMIN)
    payout = session.scalar(
        select(Payout)
        .join(ProducerGroup, ProducerGroup.id == Payout.group_id)
        .where(Payout.id == payout_id, ProducerGroup.organization_id == membership.organization_id)
        .with_for_update(of=Payout)
    )
    if payout is None:
        raise NotFound(_("That payout is not one of yours."))
    if payout.status != PayoutStatus.SENT or payout.method == PayoutMethod.STRIPE_TRANSFER:
        raise Conflict(_("Only a payout the Loom team recorded as sent can be confirmed."))
    payout.status, payout.confirmed_at, payout.confirmed_by_id = PayoutStatus.CONFIRMED, utcnow(), membership.user_id
    publish(session, InvoicePaymentChanged(payout.invoice))
    return payout


def payouts_of(session: Session, group_id: int) -> list[Payout]:
    """Return the group's payouts, newest first."""
    return list(session.scalars(select(Payout).where(Payout.group_id == group_id).order_by(Payout.id.desc())))


def start_onboarding(
    session: Session, group: ProducerGroup, membership: Membership, *, gateway: StripeGateway, settings: Settings
) -> str:
    """Create (once) the group's Express account and return Stripe's onboarding link for it.

    Runs its own short write transactions on `session`, none of them open while Stripe is asked.

    Raises `Conflict` (the group pays out outside Stripe), `Unavailable` (Stripe does not answer) or `BadGateway`
    (Stripe refuses).
    """
    require_role(membership, Role.ADMIN)
    require_confirmed(membership)
    if group.country.upper() not in settings.payout_countries:
        raise Conflict(
            _(
                "Stripe does not pay out to %(group_country)s from this marketplace; "
                "give your mobile-money or bank details instead.",
                group_country=group.country,
            )
        )
    with write_transaction(session):
        account = session.get(PayoutAccount, group.id, with_for_update=True)
        account_id = account.stripe_account_id if account is not None else None
    if account_id is None:
        try:
            created = gateway.create_account(
                {
                    "type": "express",
                    "country": group.country.upper(),
                    "email": membership.user.email,
                    "capabilities": {"transfers": {"requested": True}},
                    "business_profile": {"name": group.name, "url": f"{settings.base_url}/groups/{group.slug}"},
                    "metadata": {"loom_group": str(group.id)},
                },
                idempotency_key=f"loom-account-{group.slug}-{stamp(group.created_at)}",
            )
        except StripeUnavailable:
            raise Unavailable(_("Stripe is not answering right now; please try again in a minute.")) from None
        except StripeRefused as error:
            raise BadGateway(
                _("Stripe could not open an account for %(group_name)s: %(error)s", group_name=group.name, error=error)
            ) from None
        with write_transaction(session):
            account = session.get(PayoutAccount, group.id, with_for_update=True) or PayoutAccount(group_id=group.id)
            account.method, account.stripe_account_id = PayoutMethod.STRIPE_TRANSFER, created["id"]
            session.add(account)
            account_id = created["id"]
    try:
        link = gateway.account_link(
            {
                "account": account_id,
                "type": "account_onboarding",
                "refresh_url": f"{settings.base_url}/manage/payouts/stripe",
                "return_url": f"{settings.base_url}/manage/payouts/stripe/return",
            }
        )
    except StripeUnavailable:
        raise Unavailable(_("Stripe is not answering right now; please try again in a minute.")) from None
    return str(link["url"])


@use_case
def refresh_account(session: Session, group_id: int, stripe_account: Mapping[str, Any]) -> PayoutAccount:
    """Lock the group's payout account and take its Stripe state (`apply_account`); return the account.

    `stripe_account` is Stripe's Account object as read just before, outside the transaction.
    """
    account = session.get(PayoutAccount, group_id, with_for_update=True)
    apply_account(session, account, stripe_account)
    return account


def apply_account(session: Session, account: PayoutAccount, stripe_account: Mapping[str, Any]) -> str:
    """Take an Express account's state as Stripe has it now; pending transfers go out once it can receive them."""
    was_ready = account.ready
    account.transfers_active = (stripe_account.get("capabilities") or {}).get("transfers") == "active"
    account.details_submitted = bool(stripe_account.get("details_submitted"))
    if account.ready and not was_ready:
        waiting = session.scalars(
            select(Payout.id).where(
                Payout.group_id == account.group_id,
                Payout.status == PayoutStatus.PENDING,
                Payout.method == PayoutMethod.STRIPE_TRANSFER,
            )
        ).all()
        for payout_id in waiting:
            enqueue(session, topics.TRANSFER_PAYOUT, payout_id, {"group": account.group_id})
        return f"account {account.stripe_account_id} can receive transfers; {len(waiting)} waiting payouts queued"
    return f"account {account.stripe_account_id}: transfers {'active' if account.transfers_active else 'not active'}"


@use_case
def save_payout_details(
    session: Session,
    group: ProducerGroup,
    membership: Membership,
    *,
    method: PayoutMethod,
    provider: str,
    account_name: str,
    number: str,
    box: Any,
    hold: dt.timedelta,
    base_url: str,
) -> PayoutAccount:
    """Mobile-money or bank details for recorded payouts, encrypted at rest; pages show only a hint.

    Only an owner may set them (Forbidden otherwise). A change of details already given holds the
    group's recorded payouts for `hold` (the operator may lift it) and tells the owners by e-mail,
    so a taken-over admin account cannot quietly send the group's money elsewhere.

    Raises `DomainError` (field named) for a missing method, number or provider.
    """
    require_role(membership, Role.OWNER)
    require_confirmed(membership)
    if method == PayoutMethod.STRIPE_TRANSFER:
        raise DomainError(_("Choose mobile money or bank transfer."), field="method")
    digits = "".join(ch for ch in number if ch.isalnum())
    if len(digits) < 6:
        raise DomainError(_("Give the full phone number or account number."), field="number")
    if not provider.strip() or not account_name.strip():
        raise DomainError(_("Say which service or bank, and whose name the account is in."), field="provider")
    account = session.get(PayoutAccount, group.id, with_for_update=True) or PayoutAccount(group_id=group.id)
    if account.details_secret:
        account.held_until = utcnow() + hold
        notify(
            session,
            group.organization_id,
            subject=_l("Your payout details were changed"),
            body=_l(
                "%(person)s (%(email)s) changed where Loom sends your payouts, to %(provider)s. Payouts wait until "
                "%(moment)s UTC before they go there. If this was not you, tell the Loom team at once and change your password.",
                person=membership.user.name,
                email=membership.user.email,
                provider=provider.strip()[:60],
                moment=lazy_moment(account.held_until, "d MMM y HH:mm"),
            ),
            link=f"{base_url.rstrip('/')}/manage/payouts",
        )
    account.method = method
    account.details_secret = box.seal(f"{provider.strip()}\n{account_name.strip()}\n{number.strip()}")
    account.details_hint = f"{provider.strip()[:60]} ···{digits[-4:]}"
    session.add(account)
    pending = session.scalars(select(Payout).where(Payout.group_id == group.id, Payout.status == PayoutStatus.PENDING))
    for payout in pending:
        payout.method = method  # not yet sent: it goes the way the group now asks
    return account


@use_case
def lift_hold(session: Session, group_id: int) -> PayoutAccount:
    """The operator checked a change of payout details with the group's owners: its payouts may go now.

    Raises `Conflict` when nothing is held.
    """
    account = session.get(PayoutAccount, group_id, with_for_update=True)
    if account is None or account.held_until is None:
        raise Conflict(_("Nothing is held for this group."))
    account.held_until = None
    return account


def transfer_from_stripe(session: Session, payout: Payout, transfer: Mapping[str, Any]) -> bool:
    """Take a transfer's state as Stripe reports it: a reversed transfer marks its payout reversed.

    The money came back to Loom, so the fees netted from the payout were never taken: they are owed again, on the
    group's fee ledger (payments.fees.release_from_sent, once). Return whether anything changed.
    """
    if transfer.get("reversed") and payout.status != PayoutStatus.REVERSED:
        fees.release_from_sent(session, payout, Decimal(0), "reversed")
        payout.status, payout.note = PayoutStatus.REVERSED, "The transfer was reversed in Stripe."
        publish(session, InvoicePaymentChanged(payout.invoice))
        return True
    return False


# --- planning the group's payout of a paid invoice ---------------------------------------------------------------


def payout_method_for(group: ProducerGroup, settings: Settings) -> PayoutMethod:
    """Stripe transfers where Connect pays out to the group's country; recorded payouts elsewhere."""
    return PayoutMethod.STRIPE_TRANSFER if group.country.upper() in settings.payout_countries else PayoutMethod.MOBILE_MONEY


def plan_payout(session: Session, invoice: Invoice, *, settings: Settings) -> Payout:
    """The group's share of a paid invoice: sent by Stripe transfer from the outbox, or recorded by the operator."""
    existing = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id))
    if existing is not None:
        return existing
    group = invoice.group
    # fee + net = gross. Loom's fee is on the price before sales tax: the tax is the group's to pay to its tax office,
    # so the group receives all of it (an invoice with no tax: the fee is on its whole amount, as before).
    fee = percent_of(invoice.amount - invoice.tax_amount, settings.fee_percent, invoice.currency)
    if any(p.status == PaymentStatus.SUCCEEDED and paid_to_group(p) for p in invoice.payments):
        return _paid_directly(session, invoice, fee, settings)
    account = session.get(PayoutAccount, group.id)
    method = account.method if account is not None else payout_method_for(group, settings)
    payout = Payout(
        group_id=group.id,
        order_id=invoice.order_id,
        invoice_id=invoice.id,
        method=method,
        amount=invoice.amount - fee,
        fee=fee,
        currency=invoice.currency,
        idempotency_key=f"loom-payout-{invoice.number}-{stamp(invoice.issued_at)}",
    )
    session.add(payout)
    session.flush()
    # Loom's fees on invoices paid into the group's own account (payments.fees), taken from every payout Loom sends,
    # by Stripe or recorded by the operator (mobile money, bank): never below zero, the rest carried, per currency.
    fees.net_into_payout(session, payout)
    if method == PayoutMethod.STRIPE_TRANSFER:
        enqueue(session, topics.TRANSFER_PAYOUT, payout.id, {"group": group.id})
        how = (
            _l("Stripe sends it to your account")
            if account is not None and account.ready
            else _l("Stripe sends it to your account once you finish setting it up")
        )
    else:
        how = (
            _l("the Loom team sends it by bank transfer and tells you the reference")
            if method == PayoutMethod.BANK_TRANSFER
            else _l("the Loom team sends it by mobile money and tells you the reference")
        )
    notify(
        session,
        group.organization_id,
        subject=_l(
            "Invoice %(number)s paid: %(amount)s on its way",
            number=invoice.number,
            amount=lazy_money(payout.amount, payout.currency),
        ),
        body=lazy_join(
            _l(
                "%(buyer)s paid %(paid)s. After Loom's fee of %(fee)s, %(amount)s is yours: %(how)s.",
                buyer=invoice.order.buyer.name,
                paid=lazy_money(invoice.amount, invoice.currency),
                fee=lazy_money(fee, payout.currency),
                amount=lazy_money(payout.amount, payout.currency),
                how=how,
            ),
            tax_sentence(invoice),
            separator=" ",
        ),
        link=f"{settings.base_url}/manage/payouts",
    )
    return payout


def _paid_directly(session: Session, invoice: Invoice, fee: Decimal, settings: Settings) -> Payout:
    """Record that the group already holds a paid invoice's money: a payout nobody sends, with Loom's fee owed by the group."""
    payout = Payout(
        group_id=invoice.group_id,
        order_id=invoice.order_id,
        invoice_id=invoice.id,
        method=PayoutMethod.BANK_TRANSFER,
        amount=invoice.amount - fee,
        fee=fee,
        currency=invoice.currency,
        status=PayoutStatus.CONFIRMED,
        reference="direct",
        sent_at=utcnow(),
        confirmed_at=utcnow(),
        idempotency_key=f"loom-payout-{invoice.number}-{stamp(invoice.issued_at)}",
        note=(
            f"Paid straight into the group's own account; Loom's fee of {format_money(fee, invoice.currency)} "
            "is in its fee ledger."
        ),
    )
    session.add(payout)
    session.flush()
    fees.charge_direct_fee(session, invoice, fee)  # taken from the group's next Stripe payout, else billed by statement
    notify(
        session,
        invoice.group.organization_id,
        subject=_l("Invoice %(number)s paid into your account", number=invoice.number),
        body=_l(
            "%(buyer)s paid %(paid)s into your own bank account. Loom's fee of %(fee)s is taken from your next payout, "
            "or billed to you by a statement; your payouts page shows what you owe.",
            buyer=invoice.order.buyer.name,
            paid=lazy_money(invoice.amount, invoice.currency),
            fee=lazy_money(fee, invoice.currency),
        ),
        link=f"{settings.base_url}/manage/payouts",
    )
    return payout
