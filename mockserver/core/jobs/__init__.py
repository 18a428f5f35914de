"""Shared machinery for time and work that happens later: the clock (jobs, webhooks follow)."""
