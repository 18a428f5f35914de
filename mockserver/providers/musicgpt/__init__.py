"""MusicGPT: asynchronous sound generation polled by id, with webhooks (``specs/musicgpt.yaml``)."""

from mockserver.providers.base import Provider
from mockserver.providers.musicgpt.errors import ERRORS
from mockserver.providers.musicgpt.handlers import file_renderer, finalizer, handler_table

PROVIDER = Provider(
    name="musicgpt",
    spec="musicgpt",
    errors=ERRORS,
    invalid_key_message="Invalid API key",
    handlers=handler_table,
    finalize=finalizer,
    render_file=file_renderer,
    rate_limit=None,  # the docs give no numbers; config providers.musicgpt.rate_limit sets one
)
