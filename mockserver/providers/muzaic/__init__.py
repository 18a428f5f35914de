"""Muzaic: synchronous soundtrack and single-file generation (``specs/muzaic.yaml``)."""

from mockserver.http.errors import ErrorFormat
from mockserver.providers.base import Provider
from mockserver.providers.muzaic.handlers import handler_table
from mockserver.providers.muzaic.model import SCHEMA_SQL

PROVIDER = Provider(
    name="muzaic",
    spec="muzaic",
    errors=ErrorFormat(body=lambda e: {"error": e.message}, validation_status=400,
                       missing_key="No MuzaicAPI Secret Key"),
    invalid_key_message="Invalid MuzaicAPI Secret Key",
    handlers=handler_table,
    schema_sql=SCHEMA_SQL,
    sensitive_headers=("muzaicapi-secret-key",),
)
