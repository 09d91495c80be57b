"""Reading ``X-Forwarded-For`` entries: only IP addresses, one spelling each."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from api.security import TrustedProxies, ip_of


def spellings(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[str]:
    if isinstance(address, ipaddress.IPv4Address):
        return [str(address), f"{address}:8080", f" {address} ", f"::ffff:{address}"]
    return [
        str(address),
        address.exploded,
        address.exploded.upper(),
        f"[{address}]:443",
        f"[{address.exploded}]",
    ]


@given(st.ip_addresses())
def test_every_spelling_of_an_address_is_that_address(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    expected = address
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        expected = address.ipv4_mapped
    assert {ip_of(text) for text in spellings(address)} == {expected}


@given(st.text(alphabet=st.characters(exclude_characters="0123456789abcdefABCDEF:.[]")))
def test_text_that_cannot_spell_an_address_is_none(text: str) -> None:
    assert ip_of(text) is None


@given(
    st.sampled_from(
        [
            "garbage1",
            "unknown",
            "999.1.1.1",
            "1.2.3",
            "01.2.3.4",
            "1.2.3.4:x",
            "[::1",
            "[::1]x",
            "::g",
            "10.0.0.0/8",
            "",
            "1e3",
        ]
    )
)
def test_near_misses_are_none(text: str) -> None:
    assert ip_of(text) is None


ENTRIES = (
    st.text(max_size=20)
    | st.ip_addresses().map(str)
    | st.ip_addresses(network="10.0.0.0/8").map(str)
)


@given(st.lists(ENTRIES, max_size=6))
def test_the_client_is_the_first_untrusted_valid_address_from_the_right(
    chain: list[str],
) -> None:
    proxy = ipaddress.ip_address("10.0.0.1")
    middleware = TrustedProxies(["10.0.0.0/8"])
    client = middleware.client(proxy, chain)
    readable = [ip_of(entry) for entry in chain]
    assert client == proxy or client in readable
    if not middleware.trusts(client):
        # Everything right of it was a trusted proxy that passed it on.
        last = max(i for i, a in enumerate(readable) if a == client)
        assert all(a is not None and middleware.trusts(a) for a in readable[last + 1 :])
    else:
        # Trusted: the walk ended at a made-up value or ran out of entries.
        assert None in readable or all(
            a is not None and middleware.trusts(a) for a in readable
        )
