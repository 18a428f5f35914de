"""Which URLs the mock may POST a webhook to: the one target policy.

Checked when a provider accepts a callback URL (so a bad one is refused before anything is
charged or stored) and again by the sender before each attempt (an old state file, or a
config that changed since). The URL is read by httpx's own parser, the one the sender
connects with, so the host judged here is the host that would be called. Names are never
resolved: a refusal never needs the network.

By default only loopback (127.0.0.0/8, ::1, ``localhost``) and private networks (RFC 1918,
unique-local fc00::/7) are targets; ``webhooks.allow_public`` lifts that. Unspecified,
link-local, multicast, broadcast/reserved and cloud-metadata addresses and names are refused
always. Following the OWASP SSRF guidance, an IPv4 address is judged whatever its spelling
(``2852039166``, ``0xa9fea9fe``, ``0251.0376.0251.0376``, ``169.254.43518``, a trailing dot:
the forms ``inet_aton`` and browsers accept) and so is an IPv4 address inside IPv6
(``::ffff:169.254.169.254``, NAT64, 6to4).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final

import httpx

MAX_URL_LENGTH: Final = 2048
"""Longest accepted callback URL, in characters (Soundpiece documents 1-2048)."""

TOO_LONG, MALFORMED, SCHEME, TARGET = "too_long", "malformed", "scheme", "target"
"""What is wrong with a refused URL (providers map these to their own error types)."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ALLOW_PUBLIC = "config webhooks.allow_public: true allows others"
_DEFAULT_TARGETS = "only loopback and private (RFC 1918, fc00::/7) addresses are webhook targets"

_PRIVATE = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
_UNSPECIFIED = ipaddress.ip_network("0.0.0.0/8")
"""'This network': 0.0.0.0 and its neighbours reach the local host on Linux."""
_RESERVED_V4 = ipaddress.ip_network("240.0.0.0/4")
"""Reserved, with the limited broadcast address 255.255.255.255."""
METADATA_ADDRESSES: Final = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean, ...
    "169.254.170.2",    # AWS ECS task metadata
    "fd00:ec2::254",    # AWS over IPv6 (inside fc00::/7, so listed by name)
    "100.100.100.200",  # Alibaba Cloud
    "192.0.0.192",      # Oracle Cloud Classic
))
METADATA_NAMES: Final = frozenset((
    "metadata.google.internal", "metadata.goog", "metadata", "instance-data",
    "instance-data.ec2.internal",
))
"""Cloud-metadata host names (and their subdomains), refused even with allow_public."""

_TRANSLATED_V6 = tuple(ipaddress.ip_network(n) for n in (
    "64:ff9b::/96", "64:ff9b:1::/48", "::/96"))
"""NAT64 prefixes and IPv4-compatible addresses: the IPv4 address is in the last 32 bits."""
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NUMBER = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_WHITESPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\s]")


@dataclass(frozen=True)
class Refusal:
    """Why a URL is not a webhook target: ``kind`` (one of the constants above) and a short
    ``reason`` that names the problem and the fix, never the whole URL."""

    kind: str
    reason: str


class TargetPolicy:
    """The webhook target rules of one server run."""

    def __init__(self, allow_public: bool = False, max_length: int = MAX_URL_LENGTH) -> None:
        self.allow_public = allow_public
        self.max_length = max_length

    def check(self, url: object) -> Refusal | None:
        """Why ``url`` may not be called, or None when it may. Never raises, never resolves."""
        if not isinstance(url, str):
            return Refusal(MALFORMED, "the URL must be a string")
        if len(url) > self.max_length:
            return Refusal(TOO_LONG, f"the URL has {len(url)} characters; at most"
                                     f" {self.max_length} are accepted")
        if _WHITESPACE_OR_CONTROL.search(url):
            return Refusal(MALFORMED, "the URL contains whitespace or control characters")
        try:
            parsed = httpx.URL(url)
            port = parsed.port
            host = parsed.raw_host.decode("ascii").lower()
        except Exception as exc:  # noqa: BLE001 (hostile input: any parser error is a refusal)
            return Refusal(MALFORMED, _short(str(exc)) or "not a valid URL")
        if not parsed.scheme:
            return Refusal(MALFORMED, "not an absolute URL (give http:// or https://)")
        if parsed.scheme not in ("http", "https"):
            return Refusal(SCHEME, f"the scheme is {parsed.scheme!r}; webhook URLs must be"
                                   " http or https")
        if not host:
            return Refusal(MALFORMED, "the URL has no host")
        if port is not None and not 0 < port < 65536:
            return Refusal(MALFORMED, f"port {port} is out of range (1-65535)")
        return self._host_refusal(host)

    def _host_refusal(self, host: str) -> Refusal | None:
        if ":" in host:  # httpx gives IPv6 literals without brackets
            if "%" in host:
                return Refusal(MALFORMED, "IPv6 zone identifiers are not accepted")
            try:
                return self._address_refusal(ipaddress.IPv6Address(host), host)
            except ValueError:
                return Refusal(MALFORMED, f"{_short(host)!r} is not a valid IPv6 address")
        bare = host[:-1] if host.endswith(".") else host
        if _ends_in_number(bare):
            address = parse_ipv4(bare)
            if address is None:
                return Refusal(MALFORMED, f"{_short(host)!r} is not a valid IPv4 address")
            return self._address_refusal(address, host)
        return self._name_refusal(host)

    def _name_refusal(self, host: str) -> Refusal | None:
        name = host.rstrip(".")
        labels = name.split(".")
        if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
            return Refusal(MALFORMED, f"{_short(host)!r} is not a valid host name")
        if any(name == m or name.endswith("." + m) for m in METADATA_NAMES):
            return Refusal(TARGET, f"{name} is a cloud-metadata name; it is never a webhook"
                                   " target")
        if host == "localhost" or self.allow_public:
            return None
        return Refusal(TARGET, f"{_short(host)!r} is a name, and the mock does not resolve"
                               f" names: {_DEFAULT_TARGETS} by default ({_ALLOW_PUBLIC})")

    def _address_refusal(self, address: IPAddress, host: str) -> Refusal | None:
        shown = host if str(address) == host else f"{_short(host)} ({address})"
        embedded, direct = embedded_ipv4(address)
        never = never_a_target(address) or (never_a_target(embedded) if embedded else None)
        if never:
            return Refusal(TARGET, f"{shown} is {never}; that is never a webhook target")
        # Through a translator (NAT64, 6to4) the traffic leaves this host: never local.
        local = (embedded is None or direct) and _is_local(embedded or address)
        if not (local or self.allow_public):
            return Refusal(TARGET, f"{shown} is a public address; {_DEFAULT_TARGETS} by"
                                   f" default ({_ALLOW_PUBLIC})")
        if address.version == 4 and str(address) != host:
            # Other spellings go to the system resolver as names (a DNS query for
            # "127.0.0.1."): only the canonical form is sure to be read as an address.
            return Refusal(MALFORMED, f"{_short(host)!r} means {address}; write the address"
                                      f" as {address}")
        return None


def target_refusal(url: str, allow_public: bool) -> str | None:
    """Why ``url`` may not be called (a sentence), or None; see ``TargetPolicy.check``."""
    refusal = TargetPolicy(allow_public).check(url)
    return refusal.reason if refusal else None


def never_a_target(address: IPAddress) -> str | None:
    """What kind of address ``address`` is when no config may make it a target, else None."""
    if address in METADATA_ADDRESSES:
        return "a cloud-metadata address"
    if address.is_unspecified or (address.version == 4 and address in _UNSPECIFIED):
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.version == 4 and address in _RESERVED_V4:
        return "a broadcast or reserved address"
    return None


def embedded_ipv4(address: IPAddress) -> tuple[ipaddress.IPv4Address | None, bool]:
    """The IPv4 address an IPv6 address carries, and whether this host would talk to it
    directly (IPv4-mapped) rather than through a translator (NAT64, 6to4)."""
    if address.version == 4:
        return None, False
    assert isinstance(address, ipaddress.IPv6Address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, True
    if address.sixtofour is not None:
        return address.sixtofour, False
    if address not in (ipaddress.IPv6Address("::"), ipaddress.IPv6Address("::1")) and any(
            address in net for net in _TRANSLATED_V6):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), False
    return None, False


def _is_local(address: IPAddress) -> bool:
    """Loopback or a private network (RFC 1918, unique-local)."""
    return address.is_loopback or any(address in net for net in _PRIVATE
                                      if net.version == address.version)


def _ends_in_number(host: str) -> bool:
    """WHATWG URL's "ends in a number": such a host is an IPv4 address, not a name."""
    return bool(_NUMBER.fullmatch(host.rsplit(".", 1)[-1]))


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in any form ``inet_aton`` accepts (1-4 parts, each decimal, octal
    with a leading 0, or hex with 0x; the last part fills the remaining bytes), or None."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        if not _NUMBER.fullmatch(part):
            return None
        if part[:2].lower() == "0x":
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                return None
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part, 10))
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _short(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters: errors never echo huge input."""
    return text if len(text) <= limit else text[:limit] + "..."
