"""Request patterns: the one way a fault rule and a verification say which requests they
mean, and how a request differs from one (for near-miss reports, as WireMock's).

A pattern is JSON such as ``{"provider": "musicgpt", "method": "POST", "path":
"/v1/sound_generator", "body": {"prompt": {"contains": "rain"}}, "headers": {"x-trace":
"abc"}}``. Every key is optional: an empty pattern matches every request. Paths are the
spec's paths, below the provider's server URL: ``path`` equals the spec path the request
matched (``/generate/{task_id}``) or the request's own path below the base
(``/generate/42``); ``path_glob`` is a shell-style pattern (``fnmatch``) on the latter.

A header or body field is matched by a plain value (equal; header values compare as text)
or by one operator object: ``{"equals": v}``, ``{"contains": "text"}``, ``{"matches":
"regex"}`` (a search) or ``{"absent": true}``; an object or list value is written as
``{"equals": ...}``. A form sends text, so ``30`` matches the form field ``"30"``. Body
fields are dotted paths into a JSON or form body: ``prompt``, ``regions.0.params.tempo``
(``regions[0]`` works too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import parse_qs

PATTERN_KEYS = ("provider", "method", "path", "path_glob", "headers", "body")
"""The keys of a request pattern; a rule or a verification adds its own."""
OPERATORS = ("equals", "contains", "matches", "absent")
_MISSING = object()


@dataclass(frozen=True)
class RequestFacts:
    """What a pattern is matched against: one request as the mock saw it."""

    provider: str | None
    method: str
    local_path: str
    """The request's path below its provider's base path."""
    route: str | None
    """The spec path template the request matched; None when it matched none."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Header names in lower case."""
    body: Any = None
    """The body parsed as JSON or as a form; None when empty or neither."""


@dataclass(frozen=True)
class Difference:
    """One way a request differs from a pattern."""

    field: str
    """``method``, ``path``, ``headers.<name>``, ``body.<dotted path>``, ..."""
    expected: Any
    actual: Any

    def describe(self) -> str:
        """``body.prompt: expected {"contains": "rain"}, got "sun"``."""
        actual = "(absent)" if self.actual is _MISSING else json.dumps(self.actual)
        return f"{self.field}: expected {json.dumps(self.expected)}, got {actual}"

    def as_json(self) -> dict[str, Any]:
        """The difference as a JSON object (``actual`` is null when absent)."""
        return {"field": self.field, "expected": self.expected,
                "actual": None if self.actual is _MISSING else self.actual,
                "absent": self.actual is _MISSING}


def parse_body(content_type: str, raw: str | bytes) -> Any:
    """A request body as data: JSON, or a url-encoded form (a field sent twice: a list);
    None when empty or neither (a multipart body, bytes that are not text)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not text.strip():
        return None
    media = content_type.split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        form = parse_qs(text, keep_blank_values=True)
        return {name: values[0] if len(values) == 1 else values for name, values in form.items()}
    try:
        return json.loads(text)
    except ValueError:
        return None


def _check_matcher(where: str, matcher: Any) -> None:
    if not isinstance(matcher, dict):
        return
    if len(matcher) != 1 or next(iter(matcher)) not in OPERATORS:
        raise ValueError(f"{where}: an operator object has exactly one of"
                         f" {', '.join(OPERATORS)}; got {sorted(matcher)}")
    (operator, operand), = matcher.items()
    if operator in ("contains", "matches") and not isinstance(operand, str):
        raise ValueError(f"{where}.{operator} must be a string")
    if operator == "matches":
        try:
            re.compile(operand)
        except re.error as exc:
            raise ValueError(f"{where}.matches is not a regular expression: {exc}") from None
    if operator == "absent" and operand is not True:
        raise ValueError(f"{where}.absent must be true")


def _matchers(where: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and k for k in value):
        raise ValueError(f"{where} must be an object of field names to matchers")
    for name, matcher in value.items():
        _check_matcher(f"{where}.{name}", matcher)
    return dict(value)


def _text(where: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"{where} must be a non-empty string")
    return value


@dataclass(frozen=True)
class RequestPattern:
    """Which requests a rule or a verification means (see the module's docstring)."""

    provider: str | None = None
    method: str | None = None
    path: str | None = None
    path_glob: str | None = None
    headers: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RequestPattern:
        """The pattern in ``data`` (other keys are the caller's); ValueError naming the key
        that is wrong."""
        method = _text("method", data.get("method"))
        path = _text("path", data.get("path"))
        if path is not None and not path.startswith("/"):
            raise ValueError(f"path must start with / (a spec path such as /getTags); got {path!r}")
        headers = _matchers("headers", data.get("headers"))
        return cls(
            provider=_text("provider", data.get("provider")),
            method=method.upper() if method else None,
            path=path,
            path_glob=_text("path_glob", data.get("path_glob")),
            headers={name.lower(): matcher for name, matcher in headers.items()},
            body=_matchers("body", data.get("body")),
        )

    def as_json(self) -> dict[str, Any]:
        """The pattern as JSON, without the keys it leaves open."""
        shown: dict[str, Any] = {"provider": self.provider, "method": self.method,
                                 "path": self.path, "path_glob": self.path_glob,
                                 "headers": dict(self.headers) or None,
                                 "body": dict(self.body) or None}
        return {key: value for key, value in shown.items() if value is not None}

    def differences(self, request: RequestFacts) -> list[Difference]:
        """How ``request`` differs from the pattern; empty when it matches."""
        found: list[Difference] = []
        if self.provider is not None and request.provider != self.provider:
            found.append(Difference("provider", self.provider, request.provider))
        if self.method is not None and request.method.upper() != self.method:
            found.append(Difference("method", self.method, request.method.upper()))
        if self.path is not None and self.path not in (request.route, request.local_path):
            found.append(Difference("path", self.path, request.route or request.local_path))
        if self.path_glob is not None and not fnmatchcase(request.local_path, self.path_glob):
            found.append(Difference("path_glob", self.path_glob, request.local_path))
        for name, matcher in self.headers.items():
            actual = request.headers.get(name, _MISSING)
            if not _holds(matcher, actual, as_text=True):
                found.append(Difference(f"headers.{name}", matcher, actual))
        for name, matcher in self.body.items():
            actual = field_at(request.body, name)
            if not _holds(matcher, actual, as_text=False):
                found.append(Difference(f"body.{name}", matcher, actual))
        return found

    def matches(self, request: RequestFacts) -> bool:
        """Whether ``request`` is one the pattern means."""
        return not self.differences(request)


def field_at(data: Any, dotted: str) -> Any:
    """The value at a dotted path (``a.b.0``, or ``a.b[0]``) in parsed data; a marker
    object (never equal to a sent value) when there is none."""
    node = data
    for part in re.findall(r"[^.\[\]]+", dotted):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def operator_of(matcher: Any) -> tuple[str, Any]:
    """A (checked) matcher as (operator, operand): a plain value is ``("equals", value)``."""
    if isinstance(matcher, dict) and len(matcher) == 1 and next(iter(matcher)) in OPERATORS:
        return next(iter(matcher.items()))
    return "equals", matcher


def _holds(matcher: Any, actual: Any, *, as_text: bool) -> bool:
    operator, operand = operator_of(matcher)
    if operator == "absent":
        return actual is _MISSING
    if actual is _MISSING:
        return False
    if operator == "equals":
        if as_text or isinstance(actual, str) and not isinstance(operand, str):
            return str(actual) == (json.dumps(operand) if isinstance(operand, (dict, list))
                                   else _plain(operand))
        return bool(actual == operand)
    text = actual if isinstance(actual, str) else json.dumps(actual)
    if operator == "contains":
        return operand in text
    return re.search(operand, text) is not None


def _plain(value: Any) -> str:
    """A JSON scalar as a form or header would send it: true, 3, 2.5, text."""
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)
