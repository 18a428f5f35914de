"""The mock's own controls (``/_mock``) as Python calls over an httpx client, shared by the
pytest fixture (a server on a port) and the in-process transport."""

from __future__ import annotations

from typing import Any

import httpx


class ControlError(RuntimeError):
    """A ``/_mock`` call was refused (the mock's answer is in the message)."""


def _checked(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer, else ControlError naming the call and the answer."""
    if not response.is_success:
        request = response.request
        raise ControlError(f"{request.method} {request.url.path}: {response.status_code}"
                           f" {response.text[:2000]}")
    return response.json()


def _listing(provider: str | None, limit: int) -> dict[str, str | int]:
    """Query parameters of a ``/_mock`` listing."""
    return {"limit": limit, **({"provider": provider} if provider else {})}


class MockControls:
    """``advance``, ``webhooks``, ``journal``, ``reset``, ``fault`` and ``verify`` on the mock
    that ``client`` reaches (its ``base_url`` is the mock's origin)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the mock's clock forward (the manual clock); its new state."""
        described: dict[str, Any] = _checked(
            self.client.post("/_mock/clock/advance", json={"seconds": seconds}))
        return described

    def webhooks(self, provider: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Webhook deliveries, newest first: payload, headers, state and attempts."""
        params = _listing(provider, limit)
        deliveries: list[dict[str, Any]] = _checked(
            self.client.get("/_mock/webhooks", params=params))["deliveries"]
        return deliveries

    def journal(self, provider: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The requests the mock received, newest first."""
        params = _listing(provider, limit)
        entries: list[dict[str, Any]] = _checked(
            self.client.get("/_mock/journal", params=params))["entries"]
        return entries

    def reset(self) -> None:
        """Wipe all state (accounts, tasks, journal, rules); the clock is not rewound."""
        _checked(self.client.post("/_mock/reset"))

    def fault(self, **rule: Any) -> int:
        """Add a fault rule (``provider``, ``method``, ``path``, ``times``, ``action``, ...: the
        shape ``POST /_mock/faults`` takes); its id."""
        rule_id: int = _checked(self.client.post("/_mock/faults", json=rule))["id"]
        return rule_id

    def verify(self, **pattern: Any) -> None:
        """Assert that the mock received what ``pattern`` describes (``provider``, ``method``,
        ``path``, ``count`` / ``at_least`` / ``at_most``, ``body``, ``headers``: the shape
        ``POST /_mock/verify`` takes); AssertionError with the mock's near-miss report if not."""
        __tracebackhide__ = True
        response = self.client.post("/_mock/verify", json=pattern)
        if response.status_code == 417:
            answer = response.json()
            raise AssertionError(answer.get("report") or answer.get("error") or response.text)
        _checked(response)
