"""schemathesis hooks (loaded by ``conformance`` via SCHEMATHESIS_HOOKS): every call paced to
the provider's rate and logged, and the shortest durations.

Pacing comes from ``CONTRACT_PACING`` (``{"requests", "window", "advance"}``, see
``pacing.Pacer``; ``advance`` is the bundled mock's clock URL), the log goes to
``CONTRACT_CALL_LOG`` (see ``calls.CallLog``): the run reads it for progress, 429 counts and
coverage.

Every schema-valid length above the cap is sent as the cap, so fuzzing renders seconds of
audio, not twenty minutes, and costs little on a paid API. Values above the documented
maximum (negative cases) are left alone, so negative testing is unchanged. The caps come
from ``CONTRACT_DURATION_CAPS``: ``{"METHOD /path": {"field": [cap, maximum or null, fill]}}``
(null: the provider documents no maximum, so every larger value is valid and is capped;
fill: the field's default is longer than the cap, so a request that leaves it out at the
top level gets the cap; ``CONTRACT_NESTED_FILLS`` does the same below the top level, such as
a Muzaic region without ``duration``, see ``caps.nested_fills``). It runs before every call,
in every phase, stateful included.

With ``CONTRACT_CALLBACK_URL`` (runs against the bundled mock), the callback URLs of bodies
generated as valid (``webhook_url``, ``callback_url``) point there: the mock calls only the
targets its config allows (loopback and private addresses by default) and refuses others at
submission, which no schema can say; and a fuzzed server should call no generated host.
Bodies generated as invalid keep their URLs, so negative testing is unchanged.
"""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from schemathesis.core.parameters import ParameterLocation

from mockserver.contracts.calls import CallLog
from mockserver.contracts.pacing import Pacer, Rate

# Hypothesis makes many short-lived objects: the cycle collector's default of a pass every
# 700 allocations took ~7 % of a fuzzing run's CPU. The process lives for one run, so its
# start-up objects are frozen out of the collector and passes come less often. Only there:
# importing this module elsewhere (the tests do) changes nothing.
if os.environ.get("SCHEMATHESIS_HOOKS") == __name__:
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)

CAPS: dict[str, dict[str, list]] = json.loads(os.environ.get("CONTRACT_DURATION_CAPS", "{}"))
NESTED_FILLS: dict[str, list[list]] = json.loads(os.environ.get("CONTRACT_NESTED_FILLS", "{}"))
CALLBACK_URL = os.environ.get("CONTRACT_CALLBACK_URL") or None
CALLBACK_FIELDS = ("webhook_url", "callback_url")
"""Request-body fields that name a URL the server will POST to."""


CLOCK_CLIENT = httpx.Client(timeout=10)
"""Moves the bundled mock's clock (one client: a new one per call builds an SSL context)."""


def _pacer(settings: dict[str, Any]) -> Pacer:
    if not settings.get("requests"):
        return Pacer(None)
    url = settings.get("advance")
    advance = (lambda seconds: CLOCK_CLIENT.post(url, json={"seconds": seconds})) if url \
        else None
    return Pacer(Rate(int(settings["requests"]), float(settings["window"])), advance)


PACER = _pacer(json.loads(os.environ.get("CONTRACT_PACING", "{}")))
LOG = CallLog(Path(os.environ["CONTRACT_CALL_LOG"])) if os.environ.get("CONTRACT_CALL_LOG") \
    else None


def clamp(value: Any, caps: dict[str, list]) -> Any:
    """``value`` with every capped field inside (cap, maximum] replaced by the cap."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            cap = caps.get(key)
            if (cap and isinstance(item, (int, float)) and not isinstance(item, bool)
                    and cap[0] < item and (cap[1] is None or item <= cap[1])):
                out[key] = type(item)(cap[0]) if isinstance(item, int) else float(cap[0])
            else:
                out[key] = clamp(item, caps)
        return out
    if isinstance(value, list):
        return [clamp(v, caps) for v in value]
    return value


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Wait for the rate to allow the call; shorten the audio it asks for (body and query)."""
    PACER.before_call()
    if CALLBACK_URL and not _negative_body(case):
        pointed = point_callbacks(case.body, CALLBACK_URL)
        if pointed is not case.body:  # setting the body at all makes schemathesis revalidate it
            case.body = pointed
    operation = context.operation or case.operation
    name = f"{operation.method.upper()} {operation.path}"
    caps = CAPS.get(name)
    if not caps:
        return
    if isinstance(case.body, (dict, list)):
        case.body = fill_nested(fill(clamp(case.body, caps), caps), NESTED_FILLS.get(name, []))
    if isinstance(case.query, dict):
        case.query = fill(clamp(case.query, caps), caps)


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    """Log the answer (status and operation) for the run's counts."""
    if LOG is not None:
        operation = context.operation or case.operation
        LOG.append(response.status_code, f"{operation.method.upper()} {operation.path}")


def _negative_body(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and meta.is_negative_at(ParameterLocation.BODY)


def point_callbacks(body: Any, url: str) -> Any:
    """``body`` with every top-level callback URL (a string) replaced by ``url``."""
    if not isinstance(body, dict) or not any(
            isinstance(body.get(name), str) for name in CALLBACK_FIELDS):
        return body
    return {key: url if key in CALLBACK_FIELDS and isinstance(value, str) else value
            for key, value in body.items()}


def fill(value: Any, caps: dict[str, list]) -> Any:
    """A top-level mapping with each absent length field whose default is long set to the cap."""
    if not isinstance(value, dict):
        return value
    missing = {key: cap[0] for key, cap in caps.items() if cap[2] and key not in value}
    return {**value, **missing} if missing else value


def fill_nested(value: Any, fills: list[list]) -> Any:
    """``value`` with each ``[place, field, cap]`` of ``fills`` applied: every mapping found at
    ``place`` (keys from the top, ``"[]"`` for each item of a list) that lacks ``field`` gets
    the cap. Anything of another shape there (a negative case) is left as it is."""
    for place, field, cap in fills:
        value = _fill_at(value, place, field, cap)
    return value


def _fill_at(value: Any, place: list[str], field: str, cap: float) -> Any:
    if not place:
        return {**value, field: cap} if isinstance(value, dict) and field not in value else value
    step, rest = place[0], place[1:]
    if step == "[]":
        return [_fill_at(item, rest, field, cap) for item in value] if isinstance(
            value, list) else value
    if isinstance(value, dict) and step in value:
        return {**value, step: _fill_at(value[step], rest, field, cap)}
    return value
