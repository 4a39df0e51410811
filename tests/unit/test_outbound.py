"""Addresses users give are vetted before Loom calls them: no private networks, no tricks in the URL."""

from __future__ import annotations

import ipaddress

import pytest

from marketplace.outbound import OutboundPolicy, OutboundRefused, is_public, vet

STRICT = OutboundPolicy()


def resolver(*answers: str):  # type: ignore[no-untyped-def]
    """A resolver that answers every name with these addresses, recording what it was asked."""

    def resolve(host: str, port: int) -> list[str]:
        resolve.asked.append((host, port))  # type: ignore[attr-defined]
        return list(answers)

    resolve.asked = []  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::",
        "64:ff9b::a9fe:a9fe",
        "fec0::1",
        "::127.0.0.1",
        "::ffff:0:7f00:1",
        "64:ff9b:1::a9fe:a9fe",
        "100::1",
        "2001:db8::1",
        "198.18.0.1",
    ],
)
def test_private_local_and_special_addresses_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(OutboundRefused, match="private or local network"):
        vet(f"https://{host}/", STRICT)
    with pytest.raises(OutboundRefused, match="private or local network"):
        vet("https://odoo.example.com", STRICT, resolver=resolver(address))


def test_a_name_with_one_private_record_among_public_ones_is_refused() -> None:
    with pytest.raises(OutboundRefused, match="private or local network"):
        vet("https://odoo.example.com", STRICT, resolver=resolver("93.184.215.14", "10.0.0.5"))


def test_a_public_address_is_vetted_once_and_pinned() -> None:
    resolve = resolver("93.184.215.14")
    destination = vet("https://Coop.Example.com:8443/odoo/", STRICT, resolver=resolve)
    assert (destination.address, destination.host, destination.port) == ("93.184.215.14", "coop.example.com", 8443)
    assert destination.base == "https://coop.example.com:8443/odoo"
    assert resolve.asked == [("coop.example.com", 8443)]


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://odoo.example.com", "https://"),
        ("ftp://odoo.example.com", "https://"),
        ("file:///etc/passwd", "https://"),
        ("gopher://odoo.example.com", "https://"),
        ("https://odoo.example.com#", "after a ? or #"),
        ("https://169.254.169.254/latest/meta-data#", "after a ? or #"),
        ("https://odoo.example.com/?x=", "after a ? or #"),
        ("https://user:pw@odoo.example.com", "user name or password"),
        ("https://odoo.example.com@169.254.169.254", "user name or password"),
        ("https://odoo.example.com\\@169.254.169.254", "backslashes"),
        ("https://odoo.example.com/\r\nHost: x", "control characters"),
        ("https://odoo example.com", "spaces"),
        ("https://odoo.example.com:99999", "not a web address"),
        ("https:///path", "no server name"),
        ("https://odoo.example.com/a/../b", "without . or .."),
        ("https://" + "a" * 300 + ".com", "at most 300"),
    ],
)
def test_malformed_or_tricky_addresses_are_refused_before_any_lookup(url: str, words: str) -> None:
    resolve = resolver("93.184.215.14")
    with pytest.raises(OutboundRefused, match=words.replace("?", r"\?").replace(".", r"\.")):
        vet(url, STRICT, resolver=resolve)
    assert resolve.asked == []


def test_the_operator_may_allow_http_and_a_private_network() -> None:
    policy = OutboundPolicy.from_config({"OUTBOUND_ALLOW_HTTP": True, "OUTBOUND_ALLOWED_NETWORKS": "10.8.0.0/16, 127.0.0.1/32"})
    assert vet("http://odoo.federation.lan:8069", policy, resolver=resolver("10.8.3.4")).address == "10.8.3.4"
    assert vet("http://127.0.0.1:8069", policy).address == "127.0.0.1"
    with pytest.raises(OutboundRefused, match="private or local network"):
        vet("http://169.254.169.254", policy)
    with pytest.raises(ValueError):
        OutboundPolicy.from_config({"OUTBOUND_ALLOWED_NETWORKS": "10.8.0.0/33"})


def test_a_name_that_does_not_resolve_is_refused_in_words() -> None:
    with pytest.raises(OutboundRefused, match="could not find a server"):
        vet("https://odoo.invalid", STRICT, resolver=resolver())


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",
        "0177.0.0.1",
        "0x7f.0.0.1",
        "0x7f000001",
        "127.1",
        "0",
        "0.0.0.0",
        "017700000001",
        "0251.0376.0251.0376",
        "①②⑦.０.０.１",
        "１２７.0.0.1",
        "localhost",
        "LOCALHOST.",
        "ⓛⓞⓒⓐⓛⓗⓞⓢⓣ",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:ffff:127.0.0.1]",
        "[::127.0.0.1]",
        "[::]",
        "[fe80::1%25lo]",
        "169.254.169.254.",
    ],
)
def test_every_spelling_of_a_local_address_is_refused_after_the_systems_own_resolution(host: str) -> None:
    """Decimal, octal, hexadecimal, shortened, full-width and circled spellings: the system resolver reads each
    (no network is asked) and Loom judges what it resolved to, which is also the only address it would connect to."""
    with pytest.raises(OutboundRefused, match="private or local network"):
        vet(f"https://{host}:8069/", STRICT)
