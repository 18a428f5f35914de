"""MusicGPT: asynchronous sound generation polled by id, with webhooks (``specs/musicgpt.yaml``)."""

from mockserver.http.errors import ErrorFormat
from mockserver.providers.base import Provider
from mockserver.providers.musicgpt.handlers import handler_table
from mockserver.providers.musicgpt.model import PROMPT_REQUIRED

PROVIDER = Provider(
    name="musicgpt",
    spec="musicgpt",
    errors=ErrorFormat(body=lambda e: {"success": False, "error": e.message},
                       validation_status=422, missing_key="Missing API key",
                       field_messages={"prompt": PROMPT_REQUIRED}),
    invalid_key_message="Invalid API key",
    handlers=handler_table,
    rate_limit=None,  # the docs give no numbers; config providers.musicgpt.rate_limit sets one
)
