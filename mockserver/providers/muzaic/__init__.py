"""Muzaic: synchronous soundtrack and single-file generation (``specs/muzaic.yaml``)."""

from mockserver.providers.base import Provider
from mockserver.providers.muzaic.errors import ERRORS, INVALID_KEY
from mockserver.providers.muzaic.handlers import handler_table
from mockserver.providers.muzaic.model import SCHEMA_SQL

PROVIDER = Provider(
    name="muzaic",
    spec="muzaic",
    errors=ERRORS,
    invalid_key_message=INVALID_KEY,
    handlers=handler_table,
    schema_sql=SCHEMA_SQL,
    sensitive_headers=("muzaicapi-secret-key",),
)
