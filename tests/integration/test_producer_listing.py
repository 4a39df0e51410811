"""A producer group keeps its listing current; nobody else can touch it."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import EnvironBuilder

from marketplace.accounts.models import Role
from marketplace.producers.capacity import week_start
from marketplace.producers.models import Capability, CapacityWindow, Certification, Photo, ProducerGroup, Product
from tests import factories
from tests.web import csrf_token, sign_in, submit, text_of


@pytest.fixture
def group(session: Session) -> ProducerGroup:
    return factories.producer_group(session, name="Kitui Sisal Weavers")


@pytest.fixture
def admin_client(client: FlaskClient, session: Session, group: ProducerGroup) -> FlaskClient:
    sign_in(client, factories.member_of(session, group, role=Role.ADMIN).user.email)
    return client


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 90, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PROFILE = {
    "name": "Kitui Sisal Weavers",
    "story": "Forty women weave sisal baskets at home around Kitui.",
    "country": "KE",
    "region": "Kitui",
    "city": "Kitui",
    "latitude": "-1.3671",
    "longitude": "38.0106",
    "artisan_count": "40",
    "women_share": "95",
    "youth_share": "30",
    "languages": "Kamba, Swahili, kamba",
    "response_time_hours": "24",
}


def test_an_admin_updates_the_profile_and_the_change_is_public(
    admin_client: FlaskClient, session: Session, group: ProducerGroup
) -> None:
    version = group.version
    response = submit(admin_client, "/manage/profile", PROFILE)

    assert response.status_code == 302
    session.refresh(group)
    assert (group.artisan_count, group.women_share, group.languages) == (40, 95, ["Kamba", "Swahili"])
    assert group.version == version + 1
    assert "Forty women weave sisal baskets" in text_of(admin_client.get(f"/groups/{group.slug}"))


def test_a_group_chooses_the_currency_it_prices_in_and_its_artisans_share_floor(
    admin_client: FlaskClient, session: Session, group: ProducerGroup
) -> None:
    response = submit(admin_client, "/manage/profile", {**PROFILE, "currency": "KES", "artisan_share_floor": "0"})
    assert response.status_code == 302
    session.refresh(group)
    assert (group.currency, group.artisan_share_floor) == ("KES", 0)
    response = submit(admin_client, "/manage/profile", {**PROFILE, "currency": "", "artisan_share_floor": "140"})
    assert response.status_code == 422 and "Number must be between 0 and 100." in text_of(response)


def test_profile_errors_are_shown_next_to_the_fields(admin_client: FlaskClient, session: Session, group: ProducerGroup) -> None:
    response = submit(admin_client, "/manage/profile", {**PROFILE, "longitude": "", "women_share": "140"})

    assert response.status_code == 422
    page = text_of(response)
    assert "Give both latitude and longitude, or leave both empty." in page
    assert "Number must be between 0 and 100." in page
    session.refresh(group)
    assert group.story == ""


def test_a_group_chooses_its_time_zone_or_keeps_its_countrys(
    admin_client: FlaskClient, session: Session, group: ProducerGroup
) -> None:
    page = text_of(admin_client.get("/manage/profile"))
    assert "My country&#39;s time zone" in page and "Africa/Nairobi" in page
    assert group.organization.zone == "Africa/Nairobi"
    wrong = submit(admin_client, "/manage/profile", {**PROFILE, "time_zone": "Mars/Olympus_Mons"})
    assert wrong.status_code == 422 and "Choose a time zone from the list." in text_of(wrong)
    assert submit(admin_client, "/manage/profile", {**PROFILE, "time_zone": "Africa/Kampala"}).status_code == 302
    session.refresh(group.organization)
    assert group.organization.time_zone == "Africa/Kampala"
    assert submit(admin_client, "/manage/profile", {**PROFILE, "time_zone": ""}).status_code == 302
    session.refresh(group.organization)
    assert group.organization.time_zone is None and group.organization.zone == "Africa/Nairobi"


CAPABILITY = {
    "category": "baskets.storage",
    "materials": "Sisal, cotton thread",
    "techniques": "coiling",
    "moq": "50",
    "lead_time_days": "28",
    "price_min": "8.50",
    "price_max": "14.00",
    "currency": "USD",
    "weekly_capacity": "300",
}


def test_adding_a_capability_then_setting_capacity_for_many_weeks(
    admin_client: FlaskClient, session: Session, group: ProducerGroup
) -> None:
    response = submit(admin_client, "/manage/capabilities/new", CAPABILITY)
    assert response.status_code == 302
    capability = session.scalar(select(Capability).where(Capability.group_id == group.id))
    assert capability.materials == ["sisal", "cotton thread"] and capability.price_min == Decimal("8.50")

    page = f"/manage/capabilities/{capability.id}/capacity"
    first = week_start(group.organization.today()) + dt.timedelta(weeks=1)
    weeks = {f"week_{first + dt.timedelta(weeks=i):%Y%m%d}": "300" for i in range(16)}
    holidays = {
        "fill_units": "0",
        "fill_from": (first + dt.timedelta(weeks=2)).isoformat(),
        "fill_to": (first + dt.timedelta(weeks=3)).isoformat(),
    }
    response = submit(admin_client, page, {**weeks, **holidays})

    assert response.status_code == 302
    windows = session.scalars(select(CapacityWindow).where(CapacityWindow.capability_id == capability.id)).all()
    assert sorted((w.week_start, w.units_available) for w in windows) == [
        (first + dt.timedelta(weeks=2), 0),
        (first + dt.timedelta(weeks=3), 0),
    ]


def test_capacity_cannot_drop_below_what_orders_already_hold(
    admin_client: FlaskClient, session: Session, group: ProducerGroup
) -> None:
    capability = factories.capability(session, group, weekly_capacity=300)
    monday = week_start(group.organization.today()) + dt.timedelta(weeks=1)
    session.add(CapacityWindow(capability=capability, week_start=monday, units_available=300, units_committed=120))
    session.flush()

    page = f"/manage/capabilities/{capability.id}/capacity"
    weeks = {f"week_{monday + dt.timedelta(weeks=i):%Y%m%d}": "300" for i in range(16)}
    response = submit(admin_client, page, {**weeks, f"week_{monday:%Y%m%d}": "100"})

    assert response.status_code == 422
    assert "already has 120 units promised" in text_of(response)


def test_capability_price_range_must_be_ordered(admin_client: FlaskClient, session: Session, group: ProducerGroup) -> None:
    response = submit(admin_client, "/manage/capabilities/new", {**CAPABILITY, "price_min": "20", "price_max": "10"})
    assert response.status_code == 422
    assert "The highest price cannot be below the lowest." in text_of(response)
    assert session.scalar(select(Capability).where(Capability.group_id == group.id)) is None


def test_certification_with_evidence_is_kept_private_to_the_group(
    admin_client: FlaskClient, session: Session, group: ProducerGroup
) -> None:
    evidence = (io.BytesIO(b"%PDF-1.4 certificate of WFTO membership"), "wfto.pdf")
    response = submit(
        admin_client,
        "/manage/certifications",
        {"scheme": "wfto", "reference": "WFTO-123", "valid_until": "2027-12-31", "evidence": evidence},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    certification = session.scalar(select(Certification).where(Certification.group_id == group.id))
    assert certification.scheme == "wfto" and not certification.verified
    with admin_client.get(f"/manage/certifications/{certification.id}/evidence") as own:
        assert own.status_code == 200 and own.data.startswith(b"%PDF")
    assert admin_client.get(f"/media/{certification.evidence_path}").status_code == 404


def test_photos_must_really_be_images(admin_client: FlaskClient, session: Session, group: ProducerGroup) -> None:
    fake = (io.BytesIO(b"<script>alert(1)</script>"), "basket.png")
    refused = submit(admin_client, "/manage/photos", {"photo": fake, "caption": "x"}, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "not a photo we can read" in text_of(refused)

    real = (io.BytesIO(png_bytes()), "basket.png")
    accepted = submit(admin_client, "/manage/photos", {"photo": real, "caption": "Coiling"}, content_type="multipart/form-data")
    assert accepted.status_code == 302
    photo = session.scalar(select(Photo).where(Photo.group_id == group.id))
    assert (photo.width, photo.height, photo.content_type) == (40, 30, "image/png")
    with admin_client.get(f"/media/{photo.path}") as served:
        assert served.status_code == 200 and served.data == png_bytes()


def test_photos_above_the_size_limit_are_refused(admin_client: FlaskClient, session: Session, group: ProducerGroup, app) -> None:
    limit = app.config["UPLOAD_MAX_BYTES"]
    big = (io.BytesIO(png_bytes() + b"\0" * limit), "big.png")
    # Built by hand so the spooled request body can be closed: Werkzeug's test client leaves it open.
    builder = EnvironBuilder(
        path="/manage/photos", method="POST", data={"csrf_token": csrf_token(admin_client, "/manage/photos"), "photo": big}
    )
    environ = builder.get_environ()
    try:
        response = admin_client.open(environ)
        assert response.status_code == 422
        assert "larger than 5 MB" in text_of(response)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def test_products_with_price_tiers(admin_client: FlaskClient, session: Session, group: ProducerGroup) -> None:
    product = {
        "sku": "KSW-01",
        "title": "Coiled sisal basket",
        "category": "baskets.storage",
        "materials": "sisal",
        "moq": "50",
        "lead_time_days": "30",
        "currency": "USD",
        "tier1_quantity": "50",
        "tier1_price": "12.00",
        "tier2_quantity": "250",
        "tier2_price": "10.50",
    }
    assert submit(admin_client, "/manage/products/new", product).status_code == 302
    saved = session.scalar(select(Product).where(Product.group_id == group.id))
    assert [(t.min_quantity, t.unit_price) for t in saved.price_tiers] == [(50, Decimal("12.00")), (250, Decimal("10.50"))]

    duplicate = submit(admin_client, "/manage/products/new", {**product, "title": "Another"})
    assert duplicate.status_code == 422
    assert "Another product in your catalog has this SKU." in text_of(duplicate)


def test_another_groups_records_are_404_to_an_admin(admin_client: FlaskClient, session: Session, group: ProducerGroup) -> None:
    other = factories.producer_group(session, name="Bolga Weavers", country="GH")
    their_capability = factories.capability(session, other)
    their_product = Product(
        group=other, sku="B-1", title="Bolga basket", category="baskets.market", moq=10, lead_time_days=30, currency="USD"
    )
    session.add(their_product)
    session.flush()

    assert admin_client.get(f"/manage/capabilities/{their_capability.id}").status_code == 404
    assert admin_client.get(f"/manage/capabilities/{their_capability.id}/capacity").status_code == 404
    assert admin_client.get(f"/manage/products/{their_product.id}").status_code == 404
    assert submit(admin_client, "/manage/", {}, action=f"/manage/capabilities/{their_capability.id}/delete").status_code == 404
    assert submit(admin_client, "/manage/", {}, action=f"/manage/products/{their_product.id}/delete").status_code == 404
    assert session.get(Capability, their_capability.id) is not None
    assert session.get(Product, their_product.id) is not None


def test_a_member_sees_the_dashboard_but_cannot_edit(client: FlaskClient, session: Session, group: ProducerGroup) -> None:
    sign_in(client, factories.member_of(session, group, role=Role.MEMBER).user.email)
    assert client.get("/manage/").status_code == 200
    assert client.get("/manage/profile").status_code == 403


def test_a_buyer_has_no_producer_tools(client: FlaskClient, session: Session) -> None:
    sign_in(client, factories.buyer(session).user.email)
    assert client.get("/manage/").status_code == 404


def test_the_directory_filters_by_country_and_category(client: FlaskClient, session: Session) -> None:
    kenya = factories.producer_group(session, name="Machakos Basket Makers", country="KE")
    factories.capability(session, kenya, category="baskets.storage")
    ghana = factories.producer_group(session, name="Tamale Shea Women", country="GH")
    factories.capability(session, ghana, category="personal-care.butters")
    session.commit()  # a category's listing (`listing_membership`) is kept as the transaction commits

    baskets = text_of(client.get("/groups?category=baskets"))
    in_ghana = text_of(client.get("/groups?country=gh"))

    assert "Machakos Basket Makers" in baskets and "Tamale Shea Women" not in baskets
    assert "Tamale Shea Women" in in_ghana and "Machakos Basket Makers" not in in_ghana
    assert "No group matches these filters" in text_of(client.get("/groups?country=PE"))


def country_options(page: str) -> list[tuple[str, str, bool]]:
    """The directory's country filter as (value, text, selected), in order."""
    select_ = page[page.index('<select id="country"') : page.index("</select>", page.index('<select id="country"'))]
    return [
        (value, text, bool(selected))
        for value, selected, text in re.findall(r'<option value="([^"]*)" ?(selected)?>([^<]*)</option>', select_)
    ]


def test_the_country_filter_offers_the_countries_with_groups_of_the_category_and_their_counts(
    client: FlaskClient, session: Session
) -> None:
    for name, country, category in [
        ("Machakos Basket Makers", "KE", "baskets.storage"),
        ("Kitui Basket Makers", "KE", "baskets.market"),
        ("Bolgatanga Weavers", "GH", "baskets.market"),
        ("Tamale Shea Women", "GH", "personal-care.butters"),
    ]:
        factories.capability(session, factories.producer_group(session, name=name, country=country), category=category)
    session.commit()  # the kept counts follow as the transaction commits

    everything = country_options(text_of(client.get("/groups")))
    baskets = country_options(text_of(client.get("/groups?category=baskets")))
    market_in_peru = country_options(text_of(client.get("/groups?category=baskets.market&country=pe")))

    # Sorted by name; a country without a group of the category is not offered, but the one chosen is.
    assert everything == [("", "All countries", False), ("GH", "Ghana (2)", False), ("KE", "Kenya (2)", False)]
    assert baskets == [("", "All countries", False), ("GH", "Ghana (1)", False), ("KE", "Kenya (2)", False)]
    assert market_in_peru == [
        ("", "All countries", False),
        ("GH", "Ghana (1)", False),
        ("KE", "Kenya (1)", False),
        ("PE", "Peru (0)", True),
    ]

    moved = session.scalar(select(ProducerGroup).where(ProducerGroup.name == "Bolgatanga Weavers"))
    moved.country = "PE"
    session.scalar(select(ProducerGroup).where(ProducerGroup.name == "Tamale Shea Women")).listed = False
    session.commit()

    assert country_options(text_of(client.get("/groups?category=baskets.market"))) == [
        ("", "All countries", False),
        ("KE", "Kenya (1)", False),
        ("PE", "Peru (1)", False),
    ]
    assert [option[1] for option in country_options(text_of(client.get("/groups", headers={"Accept-Language": "fr"})))] == [
        "Tous les pays",
        "Kenya (2)",
        "Pérou (1)",
    ]


def test_the_category_filter_is_in_the_language_of_the_page_with_the_chosen_category_selected(client: FlaskClient) -> None:
    # Its options are rendered once per language and choice: each must still be the page's own.
    for _round in range(2):
        french = text_of(client.get("/groups?category=baskets.storage", headers={"Accept-Language": "fr"}))
        swahili = text_of(client.get("/groups?category=baskets", headers={"Accept-Language": "sw"}))
        english = text_of(client.get("/groups"))
        french_baskets = text_of(client.get("/groups?category=baskets", headers={"Accept-Language": "fr"}))

        assert '<option value="baskets.storage" selected>Paniers de rangement et à linge</option>' in french
        assert '<option value="baskets" >Tout paniers</option>' in french
        assert '<option value="baskets" selected>' in swahili and "Vikapu" in swahili and "Paniers" not in swahili
        assert " selected>" not in english[english.index('<select id="category"') : english.index('<select id="country"')]
        assert '<option value="baskets.storage" >Storage &amp; laundry baskets</option>' in english
        assert '<option value="baskets" selected>Tout paniers</option>' in french_baskets  # the choice Swahili had


def test_a_photo_can_show_with_a_catalog_product(admin_client: FlaskClient, session: Session, group: ProducerGroup) -> None:
    product = Product(
        group=group,
        sku="KSW-2",
        title="Round sisal basket",
        category="baskets.storage",
        moq=20,
        lead_time_days=30,
        currency="USD",
    )
    session.add(product)
    session.flush()

    photo = (io.BytesIO(png_bytes()), "round.png")
    response = submit(
        admin_client, "/manage/photos", {"photo": photo, "product": str(product.id)}, content_type="multipart/form-data"
    )

    assert response.status_code == 302
    stored = session.scalar(select(Photo).where(Photo.group_id == group.id))
    assert stored.product_id == product.id
    profile = text_of(admin_client.get(f"/groups/{group.slug}"))
    assert f'src="/media/{stored.path}" alt="Round sisal basket"' in profile


def test_a_renamed_group_gets_a_new_address_and_the_old_one_redirects(
    admin_client: FlaskClient, client: FlaskClient, session: Session, group: ProducerGroup
) -> None:
    factories.producer_group(session, name="Kitui Basket Weavers", slug="kitui-basket-weavers")  # the name's address is taken
    session.commit()
    first = group.slug
    assert submit(admin_client, "/manage/profile", {**PROFILE, "name": "Kitui Basket Weavers"}).status_code == 302
    session.refresh(group)
    assert group.slug == "kitui-basket-weavers-2"
    moved = admin_client.get(f"/groups/{first}")
    assert moved.status_code == 301 and moved.headers["Location"] == "/groups/kitui-basket-weavers-2"
    api = admin_client.get(f"/api/v1/groups/{first}")
    assert api.status_code == 301 and api.headers["Location"] == "/api/v1/groups/kitui-basket-weavers-2"
    for answer in (moved, api):  # a browser must not keep it: renamed back, the cached 301 would loop
        assert answer.headers["Cache-Control"] == "no-store"

    assert submit(admin_client, "/manage/profile", {**PROFILE, "name": "Kitui Sisal Weavers"}).status_code == 302
    session.refresh(group)
    assert group.slug == "kitui-sisal-weavers"
    for old in (first, "kitui-basket-weavers-2"):  # every earlier address still arrives
        assert admin_client.get(f"/groups/{old}").headers["Location"] == "/groups/kitui-sisal-weavers"
    assert (
        submit(admin_client, "/manage/profile", {**PROFILE, "name": "Kitui Basket Weavers", "story": "Renamed back."}).status_code
        == 302
    )
    session.refresh(group)
    assert group.slug == "kitui-basket-weavers-2"  # its own old address again, not a redirect loop
    assert admin_client.get("/groups/kitui-basket-weavers-2").status_code == 200
    assert admin_client.get("/groups/kitui-sisal-weavers").headers["Location"] == "/groups/kitui-basket-weavers-2"
    assert admin_client.get("/groups/kitui-basket-weavers").status_code == 200  # the other group keeps its own address
    assert admin_client.get("/groups/never-was").status_code == 404
    assert (
        submit(admin_client, "/manage/profile", {**PROFILE, "name": "Kitui Sisal Weavers"}).status_code == 302
    )  # and away again
    session.refresh(group)
    assert (
        group.slug == "kitui-sisal-weavers"
        and admin_client.get("/groups/kitui-basket-weavers-2").headers["Location"] == "/groups/kitui-sisal-weavers"
    )


def test_a_capability_has_a_title_of_the_groups_own_shown_on_the_profile(
    admin_client: FlaskClient, session: Session, group: ProducerGroup
) -> None:
    titled = {**CAPABILITY, "title": "Sisal market baskets, 30 cm"}
    assert submit(admin_client, "/manage/capabilities/new", {**titled, "title": "x" * 121}).status_code == 422
    assert submit(admin_client, "/manage/capabilities/new", titled).status_code == 302
    capability = session.scalar(select(Capability).where(Capability.group_id == group.id))
    assert capability.title == "Sisal market baskets, 30 cm"
    assert "Sisal market baskets, 30 cm" in text_of(admin_client.get(f"/groups/{group.slug}"))

    edited = submit(admin_client, f"/manage/capabilities/{capability.id}", {**titled, "title": "Sisal market baskets, 35 cm"})
    assert edited.status_code == 302
    session.refresh(capability)
    assert capability.title == "Sisal market baskets, 35 cm"
