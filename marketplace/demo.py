"""A realistic, deterministic demo marketplace: the same seed always gives the same data.

`generate_groups` writes groups in the import schema, so the demo goes through the same importer a
federation's spreadsheet does, and benchmarks can ask it for any number of groups.
"""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Membership, Organization, OrganizationKind, Role, User
from marketplace.accounts.passwords import hash_password
from marketplace.billing.models import Invoice, InvoiceKind, InvoiceStatus
from marketplace.db import utcnow
from marketplace.demo_catalog import (
    NAME_PREFIXES,
    ORG_WORDS,
    PLACES,
    STORY_ENDINGS,
    STORY_MIDDLES,
    STORY_OPENINGS,
    Craft,
)
from marketplace.orders.models import Order, OrderLine, OrderStatus, ProgressUpdate
from marketplace.producers import capacity
from marketplace.producers.importer import SourceRecord, import_groups
from marketplace.producers.models import Capability, CapacityWindow, PriceTier, ProducerGroup, Product
from marketplace.producers.taxonomy import CATEGORIES
from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus
from marketplace.trace.models import EventKind
from marketplace.trace.services import record_event

DEMO_PASSWORD = "loom-demo-password"
TODAY_ANCHOR = dt.date(2026, 11, 23)  # capacity overrides are laid out from here, so data is the same every run


def _money(value: float) -> str:
    return f"{value:.2f}"


def generate_group(index: int, rng: random.Random, taken: set[str] | None = None) -> dict[str, Any]:
    """One producer group in the import schema; `index` makes its reference unique, `taken` its name."""
    place = PLACES[index % len(PLACES)] if index < len(PLACES) * 3 else rng.choice(PLACES)
    crafts: list[Craft] = [place.crafts[(index // len(PLACES)) % len(place.crafts)]]
    if len(place.crafts) > 1 and rng.random() < 0.45:
        crafts.append(rng.choice([c for c in place.crafts if c is not crafts[0]]))
    main = crafts[0]
    artisans = rng.choice((18, 25, 40, 60, 85, 120, 150, 220, 300, 450, 800, 1200, 2500))
    women = rng.choice((55, 62, 70, 78, 85, 90, 95, 100))
    taken = taken if taken is not None else set()
    for _ in range(20):
        name = f"{rng.choice(NAME_PREFIXES)}{place.city} {main.noun} {rng.choice(ORG_WORDS)}"
        if name not in taken:
            break
    if name in taken:
        name = f"{name} {index}"
    taken.add(name)
    story = " ".join(
        (
            rng.choice(STORY_OPENINGS).format(
                artisans=artisans, place=place.city, founders=rng.randint(6, 20), craft=main.noun.lower()
            ),
            rng.choice(STORY_MIDDLES),
            rng.choice(STORY_ENDINGS).format(women=women),
        )
    )
    capabilities = []
    for craft in crafts:
        low, high = craft.price
        spread = rng.uniform(0.85, 1.15)
        weekly = max(int(artisans * craft.per_artisan_week * rng.uniform(0.3, 0.6)), 5)
        overrides = []
        # The year-end fortnight off, and some groups slow down for the harvest in a later month.
        christmas = capacity.week_start(dt.date(TODAY_ANCHOR.year, 12, 24))
        overrides += [{"week": (christmas + i * capacity.WEEK).isoformat(), "units": 0} for i in range(2)]
        if rng.random() < 0.4:
            harvest = capacity.week_start(TODAY_ANCHOR + dt.timedelta(weeks=rng.randint(6, 20)))
            overrides += [{"week": (harvest + i * capacity.WEEK).isoformat(), "units": weekly // 3} for i in range(3)]
        capabilities.append(
            {
                "category": craft.category,
                "materials": list(craft.materials[: rng.randint(1, len(craft.materials))]),
                "techniques": list(craft.techniques),
                "moq": rng.choice(craft.moq),
                "lead_time_days": rng.randint(*craft.lead_time),
                "price_min": _money(low * spread),
                "price_max": _money(high * spread),
                "currency": "USD",
                "weekly_capacity": weekly,
                "capacity": overrides,
            }
        )
    certifications = [{"scheme": s, "reference": f"{s.upper()}-{1000 + index}"} for s in main.certifications if rng.random() < 0.7]
    jitter = lambda: rng.uniform(-0.08, 0.08)  # noqa: E731 - groups sit around, not on, the town centre
    return {
        "external_ref": f"demo-{index:06d}",
        "name": name,
        "country": place.country,
        "region": place.region,
        "city": place.city,
        "latitude": round(place.lat + jitter(), 5),
        "longitude": round(place.lon + jitter(), 5),
        "artisan_count": artisans,
        "women_share": women,
        "youth_share": rng.choice((20, 30, 40, 50, 62)),
        "languages": list(place.languages),
        "story": story,
        "certifications": certifications,
        "capabilities": capabilities,
    }


def generate_groups(count: int, *, seed: int = 2026) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    taken: set[str] = set()
    for index in range(count):
        yield generate_group(index, rng, taken)


@dataclass
class DemoSummary:
    groups: int
    buyers: int
    rfqs: int
    orders: int

    def __str__(self) -> str:
        return (
            f"Demo marketplace: {self.groups} producer groups, {self.buyers} buyers, {self.rfqs} RFQs, {self.orders} orders.\n"
            f"Sign in as buyer@demo.loom, producer@demo.loom or operator@demo.loom with the password {DEMO_PASSWORD!r}."
        )


BUYERS = (
    ("Northwind Home", "GB", "buyer@demo.loom", "Amelia Hart"),
    ("Casa Verde Interiors", "DE", "casa@demo.loom", "Jonas Weber"),
    ("Fair & Square Stores", "US", "fairsquare@demo.loom", "Maya Robinson"),
    ("Kumo Lifestyle", "JP", "kumo@demo.loom", "Haruto Sato"),
)


def _person(session: Session, email: str, name: str, *, operator: bool = False) -> User:
    user = User(email=email, name=name, password_hash=hash_password(DEMO_PASSWORD), is_operator=operator)
    session.add(user)
    return user


def seed_marketplace(
    session: Session, *, groups: int = 72, seed: int = 2026, progress: Callable[[int], None] | None = None
) -> DemoSummary:
    """Import the generated groups, then add people, a product catalog, RFQs, quotes and orders."""
    records = [SourceRecord([i + 1], g, unit="group") for i, g in enumerate(generate_groups(groups, seed=seed))]
    report = import_groups(session, records, progress=progress)
    if report.errors:
        raise RuntimeError(f"demo data failed its own validation: {report.errors[:3]}")
    rng = random.Random(seed + 1)
    if session.scalar(select(User.id).where(User.email == "buyer@demo.loom")) is not None:
        return DemoSummary(groups, 0, 0, 0)  # people and orders were seeded before

    all_groups = session.scalars(
        select(ProducerGroup)
        .where(ProducerGroup.external_ref.like("demo-%"))
        .order_by(ProducerGroup.external_ref)
        .options(selectinload(ProducerGroup.capabilities).selectinload(Capability.windows), selectinload(ProducerGroup.certifications))
    ).all()
    for group in all_groups:
        group.verified = rng.random() < 0.6
        for certification in group.certifications:
            certification.verified = group.verified and rng.random() < 0.8
        group.rating = Decimal(str(round(rng.uniform(3.6, 5.0), 1))) if rng.random() < 0.75 else None
        group.rating_count = rng.randint(2, 60) if group.rating else 0
        group.response_time_hours = rng.choice((4, 8, 12, 24, 48, 72))
        _add_products(session, group, rng)

    _person(session, "operator@demo.loom", "Olu Operator", operator=True)
    producer = _person(session, "producer@demo.loom", "Wanjiru Mwangi")
    session.add(Membership(user=producer, organization=all_groups[0].organization, role=Role.OWNER))
    buyers = []
    for org_name, country, email, person in BUYERS:
        organization = Organization(kind=OrganizationKind.BUYER, name=org_name, country=country)
        session.add(Membership(user=_person(session, email, person), organization=organization, role=Role.OWNER))
        buyers.append(organization)
    session.flush()

    rfqs, orders = _add_sourcing(session, buyers, all_groups, rng)
    session.commit()
    return DemoSummary(len(all_groups), len(buyers), rfqs, orders)


def _product_title(country: str, category: str) -> str:
    for place in PLACES:
        for craft in place.crafts:
            if place.country == country and craft.category == category:
                return craft.product
    return CATEGORIES[category].name


def _add_products(session: Session, group: ProducerGroup, rng: random.Random) -> None:
    for n, capability in enumerate(group.capabilities[:2], start=1):
        base = (capability.price_min + capability.price_max) / 2
        product = Product(
            group=group,
            sku=f"{group.slug[:12].upper()}-{n:02d}",
            title=_product_title(group.country, capability.category),
            description="Made by hand by our artisans; colours and sizes can be adapted for orders above the minimum.",
            category=capability.category,
            materials=list(capability.materials),
            moq=capability.moq,
            lead_time_days=capability.lead_time_days,
            currency=capability.currency,
        )
        product.price_tiers = [
            PriceTier(min_quantity=capability.moq, unit_price=base.quantize(Decimal("0.01"))),
            PriceTier(min_quantity=capability.moq * 5, unit_price=(base * Decimal("0.9")).quantize(Decimal("0.01"))),
        ]
        session.add(product)


ORDER_STORY = (
    OrderStatus.CONFIRMED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.READY,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CLOSED,
    OrderStatus.CANCELLED,
)


def _commit_capacity(session: Session, capability: Capability, units: int, ship_by: dt.date, today: dt.date) -> None:
    """Promise units week by week up to the ship date (the sourcing flow does this for real orders)."""
    windows = {w.week_start: w for w in capability.windows}
    calendar = {monday: (w.units_available, w.units_committed) for monday, w in windows.items()}
    for week in capacity.weeks_ahead(today, capability.weekly_capacity, calendar):
        if units <= 0 or week.week_end > ship_by:
            break
        take = min(week.free, units)
        if take <= 0:
            continue
        window = windows.get(week.week_start)
        if window is None:
            window = CapacityWindow(
                capability=capability, week_start=week.week_start, units_available=week.available, units_committed=0
            )
            session.add(window)
            windows[week.week_start] = window
        window.units_committed += take
        units -= take


def _add_sourcing(
    session: Session, buyers: list[Organization], groups: list[ProducerGroup], rng: random.Random
) -> tuple[int, int]:
    today = TODAY_ANCHOR
    rfq_statuses = (RfqStatus.DRAFT, RfqStatus.OPEN, RfqStatus.OPEN, RfqStatus.CLOSED, RfqStatus.CANCELLED)
    order_number = 0
    rfq_count = 0
    for index, status in enumerate((*rfq_statuses, *([RfqStatus.AWARDED] * len(ORDER_STORY)))):
        buyer = buyers[index % len(buyers)]
        group = groups[(index * 7) % len(groups)]
        capability = group.capabilities[0]
        quantity = capability.moq * rng.choice((2, 3, 5, 8))
        needed_by = today + dt.timedelta(days=capability.lead_time_days + rng.randint(20, 70))
        rfq = Rfq(
            buyer_id=buyer.id,
            title=f"{quantity} × {capability.category.split('.')[1].replace('-', ' ')} for {buyer.name}",
            spec=f"Materials: {', '.join(capability.materials)}. Our own colours; swing tag with the group's story.",
            category=capability.category,
            quantity=quantity,
            target_unit_price=capability.price_min,
            currency=capability.currency,
            needed_by=needed_by,
            destination_country=buyer.country or "US",
            status=status,
        )
        rfq.recipients = [RfqRecipient(group_id=group.id)]
        session.add(rfq)
        rfq_count += 1
        if status == RfqStatus.DRAFT:
            continue
        unit_price = ((capability.price_min + capability.price_max) / 2).quantize(Decimal("0.01"))
        quote = Quote(
            group_id=group.id,
            unit_price=unit_price,
            currency=capability.currency,
            quantity=quantity,
            lead_time_days=capability.lead_time_days,
            valid_until=today + dt.timedelta(days=30),
            notes="Price includes packing in recycled cartons.",
            status=QuoteStatus.ACCEPTED if status == RfqStatus.AWARDED else QuoteStatus.SUBMITTED,
        )
        rfq.quotes.append(quote)
        if status != RfqStatus.AWARDED:
            continue
        session.flush()
        order_status = ORDER_STORY[order_number]
        order_number += 1
        order = Order(
            number=f"LM-{today.year}-{order_number:05d}",
            buyer_id=buyer.id,
            group_id=group.id,
            quote_id=quote.id,
            status=order_status,
            currency=quote.currency,
            total=quote.total,
            incoterm="FCA",
            ship_by=needed_by - dt.timedelta(days=14),
            destination_country=rfq.destination_country,
            confirmed_at=utcnow(),
            cancelled_at=utcnow() if order_status == OrderStatus.CANCELLED else None,
            lines=[
                OrderLine(
                    position=1,
                    capability_id=capability.id,
                    sku=f"RFQ-{rfq.id}",
                    description=rfq.title,
                    quantity=quantity,
                    unit_price=unit_price,
                )
            ],
        )
        session.add(order)
        session.flush()
        if order_status != OrderStatus.CANCELLED:
            _commit_capacity(session, capability, quantity, order.ship_by, today)
        _add_invoices(session, order, group, today)
        _add_trace(session, order, group, order_status, today)
    return rfq_count, order_number


def _add_invoices(session: Session, order: Order, group: ProducerGroup, today: dt.date) -> None:
    sequence = session.scalar(select(Invoice.sequence).where(Invoice.group_id == group.id).order_by(Invoice.sequence.desc()).limit(1)) or 0
    deposit = (order.total * order.deposit_percent / 100).quantize(Decimal("0.01"))
    paid_deposit = order.status not in (OrderStatus.CONFIRMED,)
    kinds = [(InvoiceKind.DEPOSIT, deposit, InvoiceStatus.PAID if paid_deposit else InvoiceStatus.OPEN)]
    if order.status in (OrderStatus.DELIVERED, OrderStatus.CLOSED):
        kinds.append((InvoiceKind.BALANCE, order.total - deposit, InvoiceStatus.PAID if order.status == OrderStatus.CLOSED else InvoiceStatus.OPEN))
    if order.status == OrderStatus.CANCELLED:
        kinds = [(InvoiceKind.DEPOSIT, deposit, InvoiceStatus.REFUNDED)]
    for kind, amount, status in kinds:
        sequence += 1
        session.add(
            Invoice(
                order_id=order.id,
                group_id=group.id,
                sequence=sequence,
                number=f"{group.slug[:10].upper()}-{sequence:05d}",
                kind=kind,
                amount=amount,
                currency=order.currency,
                status=status,
                due_on=today + dt.timedelta(days=14),
                paid_at=utcnow() if status == InvoiceStatus.PAID else None,
            )
        )


_STEPS = (
    (OrderStatus.CONFIRMED, EventKind.TRANSACTION, "accepting", "urn:epcglobal:cbv:bizstep:accepting", 0),
    (OrderStatus.IN_PRODUCTION, EventKind.TRANSFORMATION, "commissioning", "urn:epcglobal:cbv:bizstep:commissioning", 35),
    (OrderStatus.READY, EventKind.AGGREGATION, "packing", "urn:epcglobal:cbv:bizstep:packing", 100),
    (OrderStatus.SHIPPED, EventKind.OBJECT, "shipping", "urn:epcglobal:cbv:bizstep:shipping", 100),
    (OrderStatus.DELIVERED, EventKind.OBJECT, "receiving", "urn:epcglobal:cbv:bizstep:receiving", 100),
)


def _add_trace(session: Session, order: Order, group: ProducerGroup, status: OrderStatus, today: dt.date) -> None:
    reached = [s for s in _STEPS if _STEPS.index(s) <= _progress_index(status)]
    when = dt.datetime.combine(today - dt.timedelta(days=40), dt.time(9), tzinfo=dt.UTC)
    line = order.lines[0]
    for step, (_, kind, label, biz_step, percent) in enumerate(reached):
        when += dt.timedelta(days=6)
        record_event(
            session,
            order_id=order.id,
            kind=kind,
            biz_step=biz_step,
            event_time=when,
            read_point=f"{group.city}, {group.country}",
            what={"quantityList": [{"epcClass": f"urn:loom:class:{line.sku}", "quantity": line.quantity, "uom": "EA"}]},
            action="ADD" if step == 0 else "OBSERVE",
            why={"note": f"{label.capitalize()} by {group.name}"},
        )
        if percent and status != OrderStatus.CANCELLED:
            session.add(ProgressUpdate(order_id=order.id, percent=percent, note=f"{label.capitalize()}: on track.", created_at=when))


def _progress_index(status: OrderStatus) -> int:
    order = [OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.SHIPPED, OrderStatus.DELIVERED]
    if status in (OrderStatus.CLOSED,):
        return len(order) - 1
    if status == OrderStatus.CANCELLED:
        return 0
    return order.index(status)
