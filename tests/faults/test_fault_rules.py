"""Fault rules in the core: their JSON shape, when they fire, and their store (real SQLite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver.core.faults.rules import FaultRule, FaultRules, config_rules
from mockserver.core.patterns import RequestFacts
from mockserver.core.store import Store

TAGS = RequestFacts(provider="muzaic", method="GET", local_path="/getTags", route="/getTags")
OTHER = RequestFacts(provider="muzaic", method="GET", local_path="/accountDetails",
                     route="/accountDetails")


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(":memory:")
    yield store
    store.close()


def rule(**data: object) -> FaultRule:
    return FaultRule.from_json({"path": "/getTags", "action": {"status": 500}, **data})


def fired_calls(rules: FaultRules, calls: int, request: RequestFacts = TAGS) -> list[int]:
    """The numbers of the calls (1-based) on which some rule fired."""
    return [n for n in range(1, calls + 1) if rules.fire(request)]


@pytest.mark.parametrize(("data", "said"), [
    ({"action": {"status": 500}, "paht": "/x"},
     "unknown key(s) paht; known: provider, method, path, path_glob, headers, body, nth,"
     " times, probability, action"),
    ({"path": "/x"}, "action is required"),
    ({"action": {"status": 700}}, "action.status must be an HTTP status from 100 to 599"),
    ({"action": {"status": 500, "reset": True}}, "action: one of status, reset, body, job,"
     " webhook (with delay_ms if wanted); got status, reset"),
    ({"action": {"delay_ms": [300, 100]}}, "action.delay_ms must be milliseconds"),
    ({"action": {"delay_ms": 400_000}}, "action.delay_ms must be milliseconds from 0 to 300000"),
    ({"action": {"body": "garbled"}}, "action.body must be one of malformed, truncated"),
    ({"action": {"webhook": "lost"}}, "action.webhook must be one of fail, late, twice,"
     " out_of_order"),
    ({"action": {"job": "fail", "seconds": 3}}, "action.seconds (0 to 86400) goes with"),
    ({"action": {"delay_ms": 5, "message": "x"}}, "action.message is a string, and goes with"
     " action.status"),
    ({"action": {"bogus": 1}}, "action: unknown key(s) bogus; known: status, message"),
    ({"action": {"status": 500}, "nth": 0}, "nth must be an integer of at least 1; got 0"),
    ({"action": {"status": 500}, "times": True}, "times must be an integer of at least 1"),
    ({"action": {"status": 500}, "probability": 0}, "probability must be a number above 0"),
    ({"action": {"status": 500}, "path": "getTags"}, "path must start with /"),
])
def test_a_bad_rule_is_refused_naming_the_key(data: dict, said: str) -> None:
    with pytest.raises(ValueError) as refused:
        FaultRule.from_json(data)
    assert said in str(refused.value)


def test_a_rule_reads_back_as_it_was_given() -> None:
    data = {"provider": "muzaic", "method": "GET", "path": "/getTags", "nth": 2, "times": 3,
            "probability": 0.5, "action": {"status": 429, "message": "slow down", "seconds": 30,
                                           "delay_ms": [10, 20]}}
    assert FaultRule.from_json(data).as_json() == data


def test_always_fires_on_every_matching_call_and_counts_the_others_not(store: Store) -> None:
    rules = FaultRules(store)
    rules.add(rule())
    assert fired_calls(rules, 3) == [1, 2, 3]
    assert not rules.fire(OTHER)
    assert [(r["matched"], r["fired"]) for r in rules.list()] == [(3, 3)]


@pytest.mark.parametrize(("firing", "expected"), [
    ({"nth": 3}, [3]),
    ({"times": 2}, [1, 2]),
    ({"nth": 2, "times": 3}, [2, 3, 4]),
])
def test_nth_and_times(store: Store, firing: dict, expected: list[int]) -> None:
    rules = FaultRules(store)
    rules.add(rule(**firing))
    assert fired_calls(rules, 6) == expected


def test_a_probability_gives_one_sequence_per_seed(store: Store) -> None:
    def sequence(seed: int) -> list[int]:
        store.reset()
        rules = FaultRules(store, seed=seed)
        rules.add(rule(probability=0.3))
        return fired_calls(rules, 60)

    first = sequence(7)
    assert first == sequence(7)
    assert first != sequence(8)
    assert 5 < len(first) < 35  # about 18 of 60


def test_a_range_delay_is_picked_under_the_seed(store: Store) -> None:
    rules = FaultRules(store, seed=3)
    rules.add(rule(action={"delay_ms": [100, 200]}))
    delays = [rules.fire(TAGS)[0].delay_seconds for _ in range(5)]
    assert all(0.1 <= d <= 0.2 for d in delays) and len(set(delays)) == 5
    store.reset()
    again = FaultRules(store, seed=3)
    again.add(rule(action={"delay_ms": [100, 200]}))
    assert [again.fire(TAGS)[0].delay_seconds for _ in range(5)] == delays


def test_delete_clear_and_the_config_rules_after_a_reset(store: Store) -> None:
    rules = FaultRules(store, configured=config_rules([{"path": "/getTags",
                                                        "action": {"status": 503}}]))
    added = rules.add(rule(path="/accountDetails"))
    assert [(r["id"], r["source"]) for r in rules.list()] == [(1, "config"), (added.id, "api")]
    assert rules.delete(added.id) and not rules.delete(added.id)
    rules.fire(TAGS)
    store.reset()
    rules.reinstall()
    assert [(r["id"], r["source"], r["matched"]) for r in rules.list()] == [(1, "config", 0)]
    assert rules.clear() == 1 and not rules.active and rules.fire(TAGS) == []


def test_a_bad_config_rule_names_its_index_and_key() -> None:
    with pytest.raises(ValueError, match=r"config: faults\[1\]: action.status must be"):
        config_rules([{"action": {"status": 500}}, {"action": {"status": "500"}}])
    with pytest.raises(ValueError, match="config: faults must be a list"):
        config_rules({"action": {"status": 500}})
