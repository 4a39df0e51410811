"""A realistic, deterministic demo marketplace: the same seed always gives the same data.

`generate_groups` writes groups in the import schema, so the demo goes through the same importer a
federation's spreadsheet does, and benchmarks can ask it for any number of groups.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Membership, Organization, OrganizationKind, Role, User
from marketplace.accounts.passwords import hash_password
from marketplace.billing.models import Invoice, InvoiceKind, Payment, Payout, PayoutMethod, PayoutStatus, Refund
from marketplace.config import Defaults
from marketplace.db import utcnow, write_transaction
from marketplace.demo_catalog import (
    NAME_PREFIXES,
    ORG_WORDS,
    PLACES,
    STORY_ENDINGS,
    STORY_MIDDLES,
    STORY_OPENINGS,
    Craft,
)
from marketplace.demo_pictures import craft_picture, picture_alt
from marketplace.orders import services as order_services
from marketplace.orders.models import Order, OrderStatus
from marketplace.producers import capacity
from marketplace.producers.commitments import capacity_fit
from marketplace.producers.importer import SourceRecord, import_groups
from marketplace.producers.models import Capability, PriceTier, ProducerGroup, Product
from marketplace.producers.services import add_photo
from marketplace.producers.taxonomy import CATEGORIES
from marketplace.secrets import SecretBox
from marketplace.sourcing import services as sourcing
from marketplace.uploads import store_image
from payments import payouts
from payments.checkout import begin_payment
from payments.models import PayoutAccount
from payments.refund_settlement import apply_refund
from payments.settings import Settings
from payments.settlement import apply_checkout

DEMO_PASSWORD = "loom-demo-password"


def today_anchor() -> dt.date:
    """Return the Monday of the week it is now where the day starts first (UTC+14): the demo's "today".

    Capacity overrides, RFQs, quotes and orders are laid out from it, so the demo never ages into
    the past and its data is the same for every seed within one week (the random stream is fixed).
    Taking the earliest time zone keeps the promised weeks on every group's calendar, whose weeks
    start at the group's own today (`marketplace.clock`): no group is already past the anchor's week.
    """
    return capacity.week_start((utcnow() + dt.timedelta(hours=14)).date())


def _money(value: float) -> str:
    return f"{value:.2f}"


def generate_group(
    index: int, rng: random.Random, taken: set[str] | None = None, *, anchor: dt.date | None = None
) -> dict[str, Any]:
    """One producer group in the import schema; `index` makes its reference unique, `taken` its name.

    `anchor` is the demo's "today" (`today_anchor()` when not given): capacity overrides are laid out from it.
    """
    anchor = anchor or today_anchor()
    place = PLACES[index % len(PLACES)] if index < len(PLACES) * 3 else rng.choice(PLACES)
    crafts: list[Craft] = [place.crafts[(index // len(PLACES)) % len(place.crafts)]]
    if len(place.crafts) > 1 and rng.random() < 0.45:
        crafts.append(rng.choice([c for c in place.crafts if c is not crafts[0]]))
    main = crafts[0]
    artisans = rng.choice((18, 25, 40, 60, 85, 120, 150, 220, 300, 450, 800, 1200, 2500))
    women = rng.choice((55, 62, 70, 78, 85, 90, 95, 100))
    taken = taken if taken is not None else set()
    noun = main.noun
    if noun.split()[0] == place.city.split()[-1]:  # Odumase Krobo + Krobo Bead Makers: say Krobo once
        noun = noun.split(maxsplit=1)[1]
    for _ in range(20):
        name = f"{rng.choice(NAME_PREFIXES)}{place.city} {noun} {rng.choice(ORG_WORDS)}"
        if name not in taken:
            break
    if name in taken:
        name = f"{name} {index}"
    taken.add(name)
    story = " ".join(
        (
            rng.choice(STORY_OPENINGS).format(
                artisans=f"{artisans:,}", place=place.city, founders=rng.randint(6, 20), craft=main.noun.lower()
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
        christmas = capacity.week_start(dt.date(anchor.year, 12, 24))
        overrides += [{"week": (christmas + i * capacity.WEEK).isoformat(), "units": 0} for i in range(2)]
        if rng.random() < 0.4:
            harvest = capacity.week_start(anchor + dt.timedelta(weeks=rng.randint(6, 20)))
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
    certifications = [
        {"scheme": s, "reference": f"{s.upper()}-{1000 + index}"} for s in main.certifications if rng.random() < 0.7
    ]
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
    """Yield `count` plausible producer groups as import records, the same for the same `seed`."""
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
    group_logins: list[tuple[str, str]] = field(
        default_factory=list
    )  # (group name, e-mail) of coordinators with requests to answer

    def __str__(self) -> str:
        counts = f"Demo marketplace: {self.groups} producer groups, {self.buyers} buyers, {self.rfqs} RFQs, {self.orders} orders."
        return "\n".join([counts, *sign_in_lines(self.group_logins)])


def sign_in_lines(group_logins: list[tuple[str, str]]) -> list[str]:
    """Return the lines that tell someone trying the demo how to sign in: the password, each role's e-mail, and then
    `group_logins` ((group name, e-mail) of coordinators with requests to answer)."""
    lines = [
        f"Sign in with the password {DEMO_PASSWORD!r} as:",
        "  buyer@demo.loom      a buyer: open requests with quotes to compare, orders to pay and follow",
        "  producer@demo.loom   a producer group: a payout to confirm, its listing and calendar",
        "  operator@demo.loom   the Loom team's desk: certifications, dead letters, payouts",
    ]
    if group_logins:
        lines.append("  each producer group that quoted has its own coordinator, for example:")
        lines += [f"    {email}   {name}" for name, email in group_logins]
    return lines


def demo_logins(session: Session) -> list[tuple[str, str]] | None:
    """Return (group name, e-mail) of up to 8 demo coordinators with requests to answer, or None without the demo's people."""
    if session.scalar(select(User.id).where(User.email == "buyer@demo.loom")) is None:
        return None
    return [
        (name, email)
        for name, email in session.execute(
            select(ProducerGroup.name, User.email)
            .join(Membership, Membership.organization_id == ProducerGroup.organization_id)
            .join(User, User.id == Membership.user_id)
            .where(ProducerGroup.external_ref.like("demo-%"), User.email != "producer@demo.loom")
            .order_by(Membership.id)
            .limit(8)
        )
    ]


BUYERS = (
    ("Northwind Home", "GB", "buyer@demo.loom", "Amelia Hart"),
    ("Casa Verde Interiors", "DE", "casa@demo.loom", "Jonas Weber"),
    ("Fair & Square Stores", "US", "fairsquare@demo.loom", "Maya Robinson"),
    ("Kumo Lifestyle", "JP", "kumo@demo.loom", "Haruto Sato"),
)


def _person(session: Session, email: str, name: str, *, operator: bool = False) -> User:
    user = User(
        email=email, name=name, password_hash=hash_password(DEMO_PASSWORD), is_operator=operator, email_confirmed_at=utcnow()
    )
    session.add(user)
    return user


def seed_marketplace(
    session: Session,
    *,
    groups: int = 72,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
    secrets_key: str | None = None,
    photos_folder: Path | None = None,
) -> DemoSummary:
    """Import `groups` generated groups, then add people, a product catalog, RFQs, quotes and orders.

    One transaction from start to end (`write_transaction`; the services' use cases join it): it commits
    once, or on any error rolls back (re-raising the error) and leaves the database as it found it, so
    `seed-demo --if-empty` can simply be run again.
    Groups are worked through in chunks, so the whole federation is never held in memory at once.
    `secrets_key` seals the demo groups' payout details (the installation's LOOM_SECRETS_KEY; a
    throw-away key when None, for tests whose data is rolled back).
    `photos_folder` (the upload folder, `UPLOAD_DIR`) gives the first `PICTURED_GROUPS` groups and their products
    drawn pictures (`marketplace.demo_pictures`), stored as uploads are (`uploads.store_image`, which stages its files
    on `db.session`: seed through it); None draws none.
    """
    with write_transaction(session):
        return _seed(session, groups, seed, progress, SecretBox(secrets_key or Fernet.generate_key().decode()), photos_folder)


CHUNK = 1000


def _seed(
    session: Session,
    groups: int,
    seed: int,
    progress: Callable[[int], None] | None,
    box: SecretBox,
    photos_folder: Path | None = None,
) -> DemoSummary:
    records = (SourceRecord([i + 1], g, unit="group") for i, g in enumerate(generate_groups(groups, seed=seed)))
    report = import_groups(session, records, progress=progress, commit=False)
    if report.errors:
        raise RuntimeError(f"demo data failed its own validation: {report.errors[:3]}")
    rng = random.Random(seed + 1)
    if session.scalar(select(User.id).where(User.email == "buyer@demo.loom")) is not None:
        return DemoSummary(groups, 0, 0, 0)  # people and orders were seeded before

    demo = (ProducerGroup.external_ref.like("demo-%"),)
    ids = session.scalars(select(ProducerGroup.id).where(*demo).order_by(ProducerGroup.external_ref)).all()
    for start in range(0, len(ids), CHUNK):
        chunk = session.scalars(
            select(ProducerGroup)
            .where(ProducerGroup.id.in_(ids[start : start + CHUNK]))
            .order_by(ProducerGroup.external_ref)
            .options(selectinload(ProducerGroup.capabilities), selectinload(ProducerGroup.certifications))
        ).all()
        for group in chunk:
            group.verified = rng.random() < 0.6
            for certification in group.certifications:
                certification.verified = group.verified and rng.random() < 0.8
            group.rating = Decimal(str(round(rng.uniform(3.6, 5.0), 1))) if rng.random() < 0.75 else None
            group.rating_count = rng.randint(2, 60) if group.rating else 0
            group.response_time_hours = rng.choice((4, 8, 12, 24, 48, 72))
            _add_products(session, group, rng)
        session.flush()  # the chunk's objects can then be let go of
        if photos_folder is not None:
            for group in chunk[: max(0, PICTURED_GROUPS - start)]:
                _add_pictures(session, group, seed, photos_folder)

    _person(session, "operator@demo.loom", "Olu Operator", operator=True)
    producer = _person(session, "producer@demo.loom", "Wanjiru Mwangi")
    first = session.get_one(ProducerGroup, ids[0])
    session.add(Membership(user=producer, organization=first.organization, role=Role.OWNER))
    buyers = []
    for org_name, country, email, person in BUYERS:
        organization = Organization(kind=OrganizationKind.BUYER, name=org_name, country=country)
        membership = Membership(user=_person(session, email, person), organization=organization, role=Role.OWNER)
        session.add(membership)
        buyers.append(membership)
    session.flush()

    connect_id = session.scalar(
        select(ProducerGroup.id)
        .where(*demo, ProducerGroup.country.in_(DEMO_SETTINGS.payout_countries))
        .order_by(ProducerGroup.external_ref)
        .limit(1)
    )
    rfqs, orders = _add_sourcing(session, buyers, ids, connect_id, rng, box)
    return DemoSummary(len(ids), len(buyers), rfqs, orders, demo_logins(session) or [])


PICTURED_GROUPS = 200  # groups given drawn pictures: every group of the usual demo; a benchmark's 100k draw no more


def _add_pictures(session: Session, group: ProducerGroup, seed: int, folder: Path) -> None:
    """Give the group a cover and each of its products a picture, drawn for its craft and stored as an upload is."""
    subjects = [(None, group.capabilities[0].category if group.capabilities else "", group.external_ref or group.slug)]
    subjects += [(product.id, product.category, product.sku) for product in group.products]
    for product_id, category, name in subjects:
        data = craft_picture(category, f"{seed}:{group.external_ref}:{name}")
        stored = store_image(BytesIO(data), folder=folder, subfolder=f"photos/{group.id}", max_bytes=len(data))
        add_photo(session, group, stored, caption=picture_alt(category, group.name), product_id=product_id)


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
            sku=f"{group.slug[:12].strip('-').upper()}-{n:02d}",  # KITUI-SISAL-01, never KITUI-SISAL--01
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


# Each demo order is walked through the real flow up to the status it shows.
ORDER_PATHS: tuple[tuple[OrderStatus, ...], ...] = (
    (),
    (OrderStatus.IN_PRODUCTION,),
    (OrderStatus.IN_PRODUCTION,),
    (OrderStatus.IN_PRODUCTION, OrderStatus.READY),
    (OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.SHIPPED),
    (OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.SHIPPED, OrderStatus.DELIVERED),
    (OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CLOSED),
    (OrderStatus.CANCELLED,),
)
# RFQs that end before an order: a draft, open ones, one with a withdrawn quote, a closed and a cancelled one.
RFQ_ENDINGS = ("draft", "open", "open", "withdrawn", "closed", "cancelled")
BASE_URL = "http://127.0.0.1:5000"


def _group_admin(session: Session, group: ProducerGroup) -> Membership:
    membership = session.scalar(
        select(Membership).where(
            Membership.organization_id == group.organization_id, Membership.role.in_([Role.OWNER, Role.ADMIN])
        )
    )
    if membership is None:
        person = _person(
            session, f"{group.slug[:40]}.{group.id}@demo.loom", f"{group.name} coordinator"
        )  # slugs may share 40 characters
        membership = Membership(user=person, organization_id=group.organization_id, role=Role.ADMIN)
        session.add(membership)
        session.flush()
    return membership


def _fitting(capability: Capability, quantity: int, needed_by: dt.date, today: dt.date) -> tuple[int, dt.date]:
    """A quantity (at least the minimum order) and a date the capability can really deliver, as a buyer would settle on."""
    deliverable, _ = capacity_fit(capability, quantity, needed_by, today)
    if deliverable >= quantity:
        return quantity, needed_by
    if deliverable >= capability.moq:
        return deliverable, needed_by  # fewer units by the date the buyer needs them
    quantity = capability.moq
    _, earliest = capacity_fit(capability, quantity, needed_by, today)
    if earliest is None:
        raise RuntimeError(f"demo capability {capability.id} cannot make its minimum order within two years")
    return quantity, max(earliest, needed_by)  # the minimum order, later


def _add_sourcing(
    session: Session,
    buyers: list[Membership],
    group_ids: Sequence[int],
    connect_id: int | None,
    rng: random.Random,
    box: SecretBox,
) -> tuple[int, int]:
    """RFQs, quotes and orders in every state, made through the same services the pages use."""
    today = today_anchor()
    scenarios = [*RFQ_ENDINGS, *(f"order-{i}" for i in range(len(ORDER_PATHS)))]
    operator = session.scalar(select(User).where(User.is_operator.is_(True)).order_by(User.id))
    groups = _Groups(session, group_ids)
    # One shipped order goes to a group where Stripe Connect pays out, so both kinds of payout show.
    connect_group = None if connect_id is None else session.get_one(ProducerGroup, connect_id)
    if connect_group is not None:
        session.add(
            PayoutAccount(
                group_id=connect_group.id,
                method=PayoutMethod.STRIPE_TRANSFER,
                stripe_account_id=f"acct_demo_{connect_group.id}",
                transfers_active=True,
                details_submitted=True,
            )
        )
    orders = 0
    for index, scenario in enumerate(scenarios):
        buyer = buyers[index % len(buyers)]
        group = groups[(index * 7) % len(groups)]
        if scenario == "order-4" and connect_group is not None:
            group = connect_group
        elif scenario == "order-5":
            group = groups[0]  # producer@demo.loom's group: a payout to confirm and a balance to be paid
        if scenario in ("order-0", "order-7", "open"):
            buyer = buyers[0]  # buyer@demo.loom: a deposit to pay, a refunded one, and open requests with quotes to compare
        capability = group.capabilities[0]
        quantity = capability.moq * rng.choice((2, 3, 5))
        if scenario == "order-5":
            quantity = capability.moq  # within what this group can make by the date
        needed_by = today + dt.timedelta(days=capability.lead_time_days + rng.randint(30, 80))
        quantity, needed_by = _fitting(capability, quantity, needed_by, today)
        values = {
            "title": f"{quantity:,} × {CATEGORIES[capability.category].name.lower()} for {buyer.organization.name}",
            "spec": f"Materials: {', '.join(capability.materials)}. Our own colours; a swing tag telling the group's story.",
            "category": capability.category,
            "quantity": quantity,
            "target_unit_price": capability.price_min,
            "currency": capability.currency,
            "needed_by": needed_by,
            "destination_country": buyer.organization.country or "US",
            "incoterm": "DAP",  # delivered to the buyer's door, as most small retailers ask
        }
        # An open request goes to a few groups that make the same thing, so "compare side by side" has something to compare.
        rivals = _rivals(session, capability.category, exclude=group.id, limit=2) if scenario == "open" else []
        rfq = sourcing.create_rfq(
            session,
            buyer,
            values=values,
            group_ids=[group.id, *(r.group_id for r in rivals)],
            send=scenario != "draft",
            base_url=BASE_URL,
            today=today,
        )
        if scenario == "draft":
            continue
        for n, rival in enumerate(rivals, start=1):
            rival_price = (rival.price_min + (rival.price_max - rival.price_min) * Decimal(n) / 3).quantize(Decimal("0.01"))
            sourcing.submit_quote(
                session,
                _group_admin(session, rival.group),
                rival.group,
                rfq.id,
                today=today,
                base_url=BASE_URL,
                values={
                    "unit_price": rival_price,
                    "quantity": quantity,
                    "lead_time_days": rival.lead_time_days + 7 * n,
                    "valid_until": today + dt.timedelta(days=21 + 7 * n),
                    "notes": "Samples can be posted within a week.",
                    # The second rival offers to hand over to the buyer's carrier instead: the compare table marks it.
                    **({"incoterm": "FCA", "incoterm_place": rival.group.region or rival.group.name} if n == 2 else {}),
                },
            )
        admin = _group_admin(session, group)
        unit_price = ((capability.price_min + capability.price_max) / 2).quantize(Decimal("0.01"))
        quote_values = {
            "unit_price": unit_price,
            "quantity": quantity,
            "lead_time_days": capability.lead_time_days,
            "valid_until": today + dt.timedelta(days=30),
            "notes": "Price includes packing in recycled cartons.",
        }
        quote = sourcing.submit_quote(session, admin, group, rfq.id, values=quote_values, today=today, base_url=BASE_URL)
        sourcing.post_message(
            session, buyer, rfq=rfq, group=group, body="Could you send a photo of a sample in natural colours?", base_url=BASE_URL
        )
        sourcing.post_message(session, admin, rfq=rfq, group=group, body="Yes, we will post one this week.", base_url=BASE_URL)
        if scenario == "withdrawn":
            sourcing.withdraw_quote(session, admin, group, rfq.id, base_url=BASE_URL)
        elif scenario == "closed":
            sourcing.close_rfq(session, buyer, rfq.id, base_url=BASE_URL)
        elif scenario == "cancelled":
            sourcing.cancel_rfq(session, buyer, rfq.id, base_url=BASE_URL)
        elif scenario.startswith("order-"):
            order = order_services.accept_quote(session, buyer, quote.id, today=today, deposit_percent=50, base_url=BASE_URL)
            orders += 1
            path = ORDER_PATHS[int(scenario.split("-")[1])]
            if path:  # the deposit of every order past confirmation is paid (the cancelled one is refunded)
                _pay(session, buyer, session.scalar(select(Invoice).where(Invoice.order_id == order.id)))
            for step, status in enumerate(path):
                if status == OrderStatus.IN_PRODUCTION:
                    order_services.post_progress(
                        session,
                        admin,
                        order.id,
                        percent=10,
                        note="Materials bought; work started.",
                        photo_path=None,
                        base_url=BASE_URL,
                    )
                who = buyer if (order.status, status) in order_services.BUYER_MOVES and status != OrderStatus.CANCELLED else admin
                note = "The buyer's collection was postponed; capacity released." if status == OrderStatus.CANCELLED else ""
                shipment = (
                    {"carrier": "DHL Express", "tracking_number": f"JD01460000{order.id:04d}"}
                    if status == OrderStatus.SHIPPED
                    else {}
                )
                order_services.move(
                    session,
                    who,
                    order.id,
                    status,
                    note=note,
                    today=today + dt.timedelta(days=7 * (step + 1)),
                    base_url=BASE_URL,
                    **shipment,
                )
                if status == OrderStatus.IN_PRODUCTION:
                    order_services.post_progress(
                        session, admin, order.id, percent=60, note="More than half made.", photo_path=None, base_url=BASE_URL
                    )
                if status == OrderStatus.DELIVERED and path[-1] == OrderStatus.CLOSED:
                    _pay(
                        session,
                        buyer,
                        session.scalar(select(Invoice).where(Invoice.order_id == order.id, Invoice.kind == InvoiceKind.BALANCE)),
                    )
            _settle_refunds(session, order)
            _pay_out(session, order, operator, admin, box)
    return len(scenarios), orders


def _rivals(session: Session, category: str, *, exclude: int, limit: int) -> list[Capability]:
    """Capabilities of other demo groups in `category`, in a fixed order: groups a buyer would also ask.

    The demo groups by their reference, not by a list of their ids: one bound value per group passed
    SQLite's limit of 32,766 (and PostgreSQL's 65,535) above that many groups (issue 19).
    """
    return list(
        session.scalars(
            select(Capability)
            .join(ProducerGroup)
            .where(Capability.category == category, Capability.group_id != exclude, ProducerGroup.external_ref.like("demo-%"))
            .order_by(ProducerGroup.external_ref)
            .limit(limit)
        )
    )


class _Groups:
    """The demo groups by position (in `external_ref` order), each loaded when first asked for."""

    def __init__(self, session: Session, ids: Sequence[int]) -> None:
        self.session, self.ids = session, ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, position: int) -> ProducerGroup:
        return self.session.get_one(ProducerGroup, self.ids[position])


DEMO_SETTINGS = Settings.from_config(
    {
        "BASE_URL": BASE_URL,
        "PLATFORM_FEE_PERCENT": Defaults.PLATFORM_FEE_PERCENT,
        "STRIPE_PAYOUT_COUNTRIES": Defaults.STRIPE_PAYOUT_COUNTRIES,
    }
)


def _pay(session: Session, buyer: Membership, invoice: Invoice) -> None:
    """The buyer pays on Stripe's page and Stripe reports it, as its webhook would (no Stripe is called)."""
    payment = begin_payment(session, buyer, invoice.id, now=utcnow())
    checkout = {
        "id": f"cs_demo_{invoice.number}",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": f"pi_demo_{invoice.number}",
        "url": None,
    }
    apply_checkout(session, payment, checkout, seen_at=utcnow(), settings=DEMO_SETTINGS)


def _pay_out(session: Session, order: Order, operator: User, confirm_by: Membership, box: SecretBox) -> None:
    """Payouts as they look after a while: Stripe transfers made, recorded payouts sent (to the details the group gave), some
    confirmed."""
    for payout in session.scalars(select(Payout).where(Payout.order_id == order.id, Payout.status == PayoutStatus.PENDING)):
        if payout.method == PayoutMethod.STRIPE_TRANSFER:
            payout.status, payout.reference, payout.sent_at = PayoutStatus.SENT, f"tr_demo_{payout.invoice.number}", utcnow()
        elif order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CLOSED):
            if session.get(PayoutAccount, payout.group_id) is None:
                phone = (
                    f"+254 7{payout.group_id % 100:02d} {payout.group_id * 7919 % 1000:03d} {payout.group_id * 104729 % 1000:03d}"
                )
                session.add(
                    PayoutAccount(
                        group_id=payout.group_id,
                        method=PayoutMethod.MOBILE_MONEY,
                        details_hint=f"M-Pesa ···{phone[-4:].replace(' ', '')}",
                        details_secret=box.seal(f"M-Pesa\n{order.group.name}\n{phone}"),
                    )
                )
                session.flush()
            payouts.record_payout(
                session,
                operator,
                payout.id,
                method=PayoutMethod.MOBILE_MONEY,
                reference=f"SK{payout.id:03d}M7QX",
                note="Sent by M-Pesa.",
                base_url=BASE_URL,
            )
            if order.status == OrderStatus.CLOSED:
                payouts.confirm_payout(session, confirm_by, payout.id)


def _settle_refunds(session: Session, order: Order) -> None:
    """Refunds Stripe has confirmed (the demo has no Stripe to send them to)."""
    for refund in session.scalars(select(Refund).join(Payment).join(Invoice).where(Invoice.order_id == order.id)):
        refund.provider_ref = f"re_demo_{refund.id}"
        apply_refund(session, refund, {"status": "succeeded"}, seen_at=utcnow(), settings=DEMO_SETTINGS)
