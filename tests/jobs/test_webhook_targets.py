"""The webhook target policy (``jobs/targets.py``): which URLs the mock may POST to.

Pure checks: the policy never resolves a name nor opens a socket (asserted with audit hooks).
"""

from __future__ import annotations

import pytest
from netguard import watch

from mockserver.core.jobs.targets import (
    MALFORMED,
    MAX_URL_LENGTH,
    SCHEME,
    TARGET,
    TOO_LONG,
    TargetPolicy,
    parse_ipv4,
)

LOOPBACK_OR_PRIVATE = [
    "http://127.0.0.1:9/x", "http://127.8.9.10/x", "http://localhost:8080/hook",
    "HTTPS://LOCALHOST/x", "http://[::1]:8/x", "http://10.1.2.3/x", "http://172.16.0.1/x",
    "http://172.31.255.254/x", "http://192.168.0.5/x", "http://[fc00::1]/x",
    "http://[fd12:3456::7]/x", "http://[::ffff:127.0.0.1]:5/x", "http://user:pw@127.0.0.1/x",
    "http://127.0.0.1/" + "a" * (MAX_URL_LENGTH - len("http://127.0.0.1/")),
]

PUBLIC = [
    "http://8.8.8.8/x", "https://example.com/hook", "http://172.32.0.1/x",
    "http://100.64.0.1/x", "http://[2001:4860:4860::8888]/x", "http://localhost./x",
    "http://[64:ff9b::7f00:1]/x",  # NAT64: 127.0.0.1 at the translator, not here
]

# (url, why): refused whatever the config says
NEVER = [
    ("http://169.254.169.254/latest/meta-data/", "cloud-metadata"),
    ("http://169.254.170.2/v2/credentials", "cloud-metadata"),
    ("http://[fd00:ec2::254]/latest", "cloud-metadata"),
    ("http://100.100.100.200/latest/meta-data", "cloud-metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "cloud-metadata name"),
    ("http://METADATA.google.internal./computeMetadata/v1/", "cloud-metadata name"),
    ("http://metadata.google.internal../x", "cloud-metadata name"),
    ("http://x.metadata.google.internal/x", "cloud-metadata name"),
    ("http://metadata/x", "cloud-metadata name"),
    ("http://169.254.1.1/x", "link-local"),
    ("http://[fe80::1]/x", "link-local"),
    ("http://0.0.0.0:8080/x", "unspecified"),
    ("http://0.1.2.3/x", "unspecified"),
    ("http://0/x", "unspecified"),
    ("http://[::]:8080/x", "unspecified"),
    ("http://224.0.0.1/x", "multicast"),
    ("http://[ff02::1]/x", "multicast"),
    ("http://255.255.255.255/x", "broadcast"),
    ("http://240.0.0.1/x", "reserved"),
    # OWASP SSRF: other spellings of 169.254.169.254
    ("http://2852039166/", "cloud-metadata"),
    ("http://0xA9FEA9FE/", "cloud-metadata"),
    ("http://0xa9.0xfe.0xa9.0xfe/", "cloud-metadata"),
    ("http://0251.0376.0251.0376/", "IPv4"),
    ("http://169.254.43518/", "cloud-metadata"),
    ("http://169.16689662/", "cloud-metadata"),
    ("http://169.254.169.254./", "cloud-metadata"),
    ("http://[::ffff:169.254.169.254]/", "cloud-metadata"),
    ("http://[::ffff:a9fe:a9fe]/", "cloud-metadata"),
    ("http://[0:0:0:0:0:ffff:169.254.169.254]/", "cloud-metadata"),
    ("http://[64:ff9b::a9fe:a9fe]/", "cloud-metadata"),
    ("http://[2002:a9fe:a9fe::1]/", "cloud-metadata"),
    ("http://[::ffff:0.0.0.0]/", "unspecified"),
    # the host httpx would call is the one judged, not what a reader might see first
    ("http://127.0.0.1@169.254.169.254/", "cloud-metadata"),
    ("http://127.0.0.1\\@169.254.169.254/", "cloud-metadata"),
    ("http://169.254.169.254#@127.0.0.1/", "cloud-metadata"),
]

MALFORMED_URLS = [
    ("http://[::1", MALFORMED), ("http://[::1]:99999/", MALFORMED),
    ("http://127.0.0.1:0/", MALFORMED), ("http://127.0.0.1:x/", MALFORMED),
    ("http:///x", MALFORMED), ("not-a-url", MALFORMED), ("", MALFORMED),
    ("http://127.0.0.1/a b", MALFORMED), ("http://127.0.0.1/\r\nX-Injected: 1", MALFORMED),
    ("http://[fe80::1%25eth0]/", MALFORMED), ("http://%31%32%37.0.0.1/", MALFORMED),
    ("http://1.2.3.4.5/", MALFORMED), ("http://exa_mple..com/", MALFORMED),
    # a loopback address spelled so the system resolver would read it as a name
    ("http://127.1/", MALFORMED), ("http://2130706433/", MALFORMED),
    ("http://127.0.0.1./", MALFORMED),
    ("ftp://127.0.0.1/x", SCHEME), ("file:///etc/passwd", SCHEME),
    ("javascript:alert(1)", SCHEME), ("gopher://127.0.0.1:6379/_", SCHEME),
    ("http://127.0.0.1/" + "a" * 70_000, TOO_LONG),
    ("http://127.0.0.1/" + "a" * (MAX_URL_LENGTH - len("http://127.0.0.1/") + 1), TOO_LONG),
]


@pytest.fixture(autouse=True)
def no_network():
    """Judging a URL never touches the network."""
    with watch() as seen:
        yield
    assert seen == []


@pytest.mark.parametrize("url", LOOPBACK_OR_PRIVATE)
def test_loopback_and_private_targets_are_allowed_by_default(url: str) -> None:
    assert TargetPolicy().check(url) is None


@pytest.mark.parametrize("url", PUBLIC)
def test_public_targets_only_with_allow_public(url: str) -> None:
    refusal = TargetPolicy().check(url)
    assert refusal is not None and refusal.kind == TARGET
    assert "allow_public" in refusal.reason
    assert TargetPolicy(allow_public=True).check(url) is None


@pytest.mark.parametrize("url, why", NEVER)
@pytest.mark.parametrize("allow_public", [False, True])
def test_some_targets_are_refused_even_with_allow_public(url: str, why: str,
                                                         allow_public: bool) -> None:
    refusal = TargetPolicy(allow_public).check(url)
    assert refusal is not None, url
    assert why in refusal.reason, refusal


@pytest.mark.parametrize("url, kind", MALFORMED_URLS)
@pytest.mark.parametrize("allow_public", [False, True])
def test_malformed_urls_are_refused_with_a_short_reason(url: str, kind: str,
                                                        allow_public: bool) -> None:
    refusal = TargetPolicy(allow_public).check(url)
    assert refusal is not None and refusal.kind == kind, refusal
    assert len(refusal.reason) < 250  # never an echo of the input


@pytest.mark.parametrize("value", [None, 12, b"http://127.0.0.1/", ["http://127.0.0.1/"]])
def test_a_non_string_is_refused_not_raised(value: object) -> None:
    assert TargetPolicy().check(value).kind == MALFORMED


@pytest.mark.parametrize("text, address", [
    ("169.254.169.254", "169.254.169.254"), ("2852039166", "169.254.169.254"),
    ("0xa9fea9fe", "169.254.169.254"), ("0251.0376.0251.0376", "169.254.169.254"),
    ("169.254.43518", "169.254.169.254"), ("169.16689662", "169.254.169.254"),
    ("127.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0", "0.0.0.0"), ("0x", "0.0.0.0"),
])
def test_ipv4_is_read_in_every_form_inet_aton_accepts(text: str, address: str) -> None:
    assert str(parse_ipv4(text)) == address


@pytest.mark.parametrize("text", ["256.1.1.1", "1.2.3.4.5", "4294967296", "08.0.0.1",
                                  "1_0.0.0.1", "-1.0.0.1", "1..1", "0x1g"])
def test_not_an_ipv4_address(text: str) -> None:
    assert parse_ipv4(text) is None
