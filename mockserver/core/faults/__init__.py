"""Faults on demand: rules that make the mock misbehave on purpose (``rules``) and the
faults armed for the request being served (``armed``)."""
