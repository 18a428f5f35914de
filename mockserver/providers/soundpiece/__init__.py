"""Soundpiece: asynchronous operations, PUT to submit and GET to poll
(``specs/soundpiece.yaml``)."""

from mockserver.providers.base import Provider
from mockserver.providers.soundpiece.errors import ERRORS, UNAUTHORIZED
from mockserver.providers.soundpiece.handlers import file_renderer, finalizer, handler_table

PROVIDER = Provider(
    name="soundpiece",
    spec="soundpiece",
    errors=ERRORS,
    invalid_key_message=UNAUTHORIZED,
    handlers=handler_table,
    finalize=finalizer,
    render_file=file_renderer,
)
