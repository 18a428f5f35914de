"""Recording exchanges as cassettes (``Recorder``) and answering from them (``serve --replay``).

- ``redaction.py``: keys, signatures and tokens replaced by one fixed marker
- ``cassettes.py``: the cassette file format (one YAML file per exchange, binary bodies beside)
- ``jobs.py``: which job an exchange belongs to (a submit's ids in later requests)
- ``recorder.py``: the ASGI middleware that records an app's exchanges
- ``replay.py``: the ASGI middleware that answers recorded requests with recorded answers
"""
