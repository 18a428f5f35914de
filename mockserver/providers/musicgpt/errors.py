"""MusicGPT's error messages and body, and the shared core's refusals in its words."""

from __future__ import annotations

from mockserver.core.errors import CallbackRefused, DomainError, IdempotencyConflict
from mockserver.http.errors import ApiError, ErrorFormat, domain_error

PROMPT_REQUIRED = "Prompt is required for sound generation."
BOTH_OR_NEITHER = "Provide either task_id or conversion_id, but not both."
NOT_FOUND = "Conversion not found"
IDEMPOTENCY_CONFLICT = "Idempotency-Key was already used with a different request body"


def refusal(exc: DomainError) -> ApiError:
    """A refusal of the shared core as MusicGPT answers it."""
    if isinstance(exc, IdempotencyConflict):
        return ApiError(409, IDEMPOTENCY_CONFLICT)
    if isinstance(exc, CallbackRefused):
        return ApiError(422, f"webhook_url: {exc.refusal.reason}")
    return domain_error(exc)


ERRORS = ErrorFormat(body=lambda e: {"success": False, "error": e.message},
                     validation_status=422, missing_key="Missing API key",
                     field_messages={"prompt": PROMPT_REQUIRED}, refusals=refusal)
"""``{"success": false, "error": "..."}``; invalid input is a 422."""
