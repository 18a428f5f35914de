"""The sample rate the mock renders at."""

SAMPLE_RATE = 44100
"""Samples per second of every rendered piece and encoded file (CD rate), unless a provider
documents its own (Music Gen AI's ``MUSICGEN_SAMPLE_RATE``)."""
