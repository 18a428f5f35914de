"""Real servers for tests, the contract suite and the pytest plugin: the mock served by uvicorn
on 127.0.0.1 (in a thread or as its own process) and a webhook receiver."""
