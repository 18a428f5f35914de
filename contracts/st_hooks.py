"""schemathesis hook (loaded by ``conformance`` via SCHEMATHESIS_HOOKS): shortest durations.

Every schema-valid length above the cap is sent as the cap, so fuzzing renders seconds of
audio, not twenty minutes, and costs little on a paid API. Values above the documented
maximum (negative cases) are left alone, so negative testing is unchanged. The caps come
from ``CONTRACT_DURATION_CAPS``: ``{"field": [cap, documented maximum]}``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

CAPS: dict[str, list[float]] = json.loads(os.environ.get("CONTRACT_DURATION_CAPS", "{}"))


def clamp(value: Any) -> Any:
    """``value`` with every capped field inside (cap, maximum] replaced by the cap."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            cap = CAPS.get(key)
            if (cap and isinstance(item, (int, float)) and not isinstance(item, bool)
                    and cap[0] < item <= cap[1]):
                out[key] = type(item)(cap[0]) if isinstance(item, int) else float(cap[0])
            else:
                out[key] = clamp(item)
        return out
    if isinstance(value, list):
        return [clamp(v) for v in value]
    return value


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Shorten the audio a generated request asks for (body and query)."""
    if isinstance(case.body, (dict, list)):
        case.body = clamp(case.body)
    if isinstance(case.query, dict):
        case.query = clamp(case.query)
