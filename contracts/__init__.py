"""Contract suite: checks that a provider (the real one, or this mock) keeps its documented API.

``conformance`` fuzzes the spec with schemathesis; ``semantic`` holds per-provider properties
over HTTP (durations, lifecycles, audio, idempotency, webhooks). ``runner.run_contract`` runs
both and returns a ``core.Report``; ``report`` writes JUnit XML and markdown.
"""
