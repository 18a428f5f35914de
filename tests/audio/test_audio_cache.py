import threading

import pytest

from mockserver.audio import ByteCache


def test_get_put_and_lru_eviction_by_bytes():
    c = ByteCache(10)
    c.put("a", b"1234")
    c.put("b", b"5678")
    assert c.get("a") == b"1234"  # a is now most recent
    c.put("c", b"90")
    assert c.total_bytes == 10
    c.put("d", b"xy")  # evicts b, the least recently used
    assert c.get("b") is None
    assert c.get("a") == b"1234" and c.get("c") == b"90" and c.get("d") == b"xy"
    assert c.total_bytes <= 10


def test_replacing_a_key_and_oversized_values():
    c = ByteCache(8)
    c.put("a", b"1234")
    c.put("a", b"12")
    assert c.total_bytes == 2
    c.put("big", b"0123456789")
    assert c.get("big") is None and c.get("a") == b"12"
    assert c.get_or_create("big2", lambda: b"0123456789") == b"0123456789"
    assert "big2" not in c


def test_get_or_create_caches():
    c = ByteCache(100)
    calls = []
    assert c.get_or_create("k", lambda: calls.append(1) or b"v") == b"v"
    assert c.get_or_create("k", lambda: calls.append(1) or b"w") == b"v"
    assert len(calls) == 1


def test_concurrent_requests_compute_once():
    c = ByteCache(1000)
    n = 8
    calls = []
    release = threading.Event()
    started = threading.Barrier(n + 1)

    def factory():
        calls.append(threading.get_ident())
        release.wait()
        return b"value"

    results = []

    def worker():
        started.wait()
        results.append(c.get_or_create("key", factory))

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    started.wait()
    release.set()
    for t in threads:
        t.join()
    assert results == [b"value"] * n
    assert len(calls) == 1


def test_factory_error_reaches_every_waiter_and_is_not_cached():
    c = ByteCache(100)
    n = 4
    release = threading.Event()
    started = threading.Barrier(n + 1)
    errors = []

    def factory():
        release.wait()
        raise RuntimeError("boom")

    def worker():
        started.wait()
        try:
            c.get_or_create("k", factory)
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    started.wait()
    release.set()
    for t in threads:
        t.join()
    assert len(errors) == n
    assert c.get_or_create("k", lambda: b"ok") == b"ok"


def test_negative_size_rejected():
    with pytest.raises(ValueError):
        ByteCache(-1)
