"""A small app's clients for four AI music APIs, as an app would write them: plain httpx,
a base URL and a key from its settings, and an optional transport (how tests plug in)."""
