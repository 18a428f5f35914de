"""One HTTP session against the target: every call checked against the spec, counted, and
reproducible (each violation carries a curl line)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from .budget import Budget, cost_of
from .core import CheckResult, Target, Violation, curl_line, short
from .pacing import MAX_WAIT, RETRIES, Pacer, retry_wait
from .providers import PROVIDERS
from .schema import check_response


@dataclass
class Session:
    """An httpx client for the target, with the budget and the current check's result."""

    target: Target
    budget: Budget
    result: CheckResult | None = None
    timeout: float = 60.0
    admin: bool | None = None
    pacer: Pacer = field(default_factory=lambda: Pacer(None))
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(timeout=self.timeout)
        self.info = PROVIDERS[self.target.provider]

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    # -- requests ---------------------------------------------------------------------------

    def request(self, method: str, path: str, *, json: Any = None, data: dict | None = None,
                params: dict | None = None, headers: dict[str, str] | None = None,
                auth: bool = True, check: bool = True) -> httpx.Response:
        """Call ``base_url + path`` inside the rate, retrying 429s as the provider asks;
        record spec mismatches of the final answer as violations. A final 429 is returned
        unchecked (callers count the example as not run)."""
        sent = {**(self.info.auth(self.target.api_key) if auth else {}), **(headers or {})}
        url = self.target.base_url + path
        for attempt in range(RETRIES + 1):
            self.pacer.before_call()
            response = self.client.request(method, url, json=json, data=data, params=params,
                                           headers=sent)
            if self.result is not None:
                self.result.calls += 1
            if response.status_code != 429:
                break
            if self.result is not None:
                self.result.rate_limited += 1
            wait = retry_wait(response, attempt)
            if attempt == RETRIES or wait > MAX_WAIT:
                break
            self.wait(wait, cap=None)
        if check and response.status_code != 429:
            self.check_spec(method, path, response, curl_line(
                method, url, sent, json, data, params, self.target.api_key))
        return response

    def generate(self, method: str, path: str, seconds: float, variations: int = 1,
                 **kwargs: Any) -> httpx.Response:
        """A paid call: counted against the budget first (raises BudgetSpent when spent)."""
        self.budget.spend(cost_of(seconds, variations))
        return self.request(method, path, **kwargs)

    def curl(self, method: str, path: str, *, json: Any = None, data: dict | None = None,
             params: dict | None = None, headers: dict[str, str] | None = None) -> str:
        """The curl line of a call made with the key, taking ``request``'s arguments."""
        sent = {**self.info.auth(self.target.api_key), **(headers or {})}
        return curl_line(method, self.target.base_url + path, sent, json, data, params,
                         self.target.api_key)

    def check_spec(self, method: str, path: str, response: httpx.Response, curl: str) -> None:
        """Record every way ``response`` departs from the documented one."""
        content_type = response.headers.get("content-type", "")
        body: Any = None
        if "json" in content_type:
            try:
                body = response.json()
            except ValueError:
                content_type = "invalid JSON"
        for finding in check_response(self.target.provider, method, path.split("?")[0],
                                      response.status_code, content_type, body):
            self.violate(finding.name, f"{method} {path.split('?')[0]}", finding.expected,
                         f"{finding.actual}; body: {short(response.text, 200)}", curl)

    def violate(self, name: str, operation: str, expected: str, actual: str,
                curl: str = "") -> None:
        """Record one violation in the current check (once per name and operation)."""
        assert self.result is not None
        if any(v.name == name and v.operation == operation for v in self.result.violations):
            return
        self.result.violations.append(Violation(name, operation, expected, actual, curl,
                                                self.result.name))

    # -- the mock's clock, when there is one ---------------------------------------------------

    def has_admin(self) -> bool:
        """True when the suite may move the target's clock: the target is this mock with its
        admin API and a manual clock (``Target.own_clock`` says so for a bundled mock)."""
        if self.admin is None and self.target.own_clock:
            self.admin = True
        if self.admin is None:
            try:
                answer = self.client.get(self.target.origin + "/_mock/clock", timeout=5)
                self.admin = answer.status_code == 200 and answer.json().get("mode") == "manual"
            except (httpx.HTTPError, ValueError, AttributeError):
                self.admin = False
        return self.admin

    def wait(self, seconds: float, cap: float | None = 10.0) -> None:
        """Let ``seconds`` pass: move the mock's clock when the suite may, or really wait (a
        real provider; at most ``cap`` seconds: a poll interval)."""
        if self.has_admin():
            self.advance(seconds)
        else:
            time.sleep(seconds if cap is None else min(seconds, cap))

    def advance(self, seconds: float) -> None:
        """Move the target mock's clock forward (``/_mock/clock/advance``)."""
        self.client.post(self.target.origin + "/_mock/clock/advance", json={"seconds": seconds})

    def units_used(self) -> int | None:
        """Units this provider's accounts have spent, when the target is the mock (its
        ``/_mock/accounts``); None for a real provider, whose balance is not documented."""
        if not self.has_admin():
            return None
        try:
            answer = self.client.get(self.target.origin + "/_mock/accounts",
                                     params={"provider": self.target.provider}, timeout=5)
            return sum(int(a["used"]) for a in answer.json()["accounts"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None

    def fetch(self, url: str) -> httpx.Response:
        """GET an audio URL as a user would (no key; it is a signed URL)."""
        if self.result is not None:
            self.result.calls += 1
        return self.client.get(url)
