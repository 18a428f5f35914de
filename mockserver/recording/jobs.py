"""Which job an exchange belongs to: a submit's ids carried by later requests.

A job starts with a write (any method but GET, HEAD, OPTIONS) whose successful JSON answer
holds id-like values (``task_id``, ``id``, ``conversion_id_1``, ``task_ids``, ``hash``, ...);
the job is named by the first. A later request whose path, query or body carries one of
those values belongs to that job, as does a request for a URL that one of the job's answers
handed out (its audio download). Everything else belongs to no job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from mockserver.recording.redaction import URL

ID_NAME = re.compile(r"(^|_)(id|ids|hash)(_\d+)?$", re.IGNORECASE)
"""JSON member names whose values identify what a submit made."""
MIN_ID_LENGTH = 6
"""Shorter values (``"1"``, ``"ok"``) would be found in unrelated requests."""
READS = {"GET", "HEAD", "OPTIONS"}


def ids_in(data: Any) -> Iterator[str]:
    """The id-like string values in parsed JSON, in document order."""
    if isinstance(data, dict):
        for name, value in data.items():
            values = value if isinstance(value, list) else [value]
            if ID_NAME.search(str(name)):
                yield from (v for v in values if isinstance(v, str) and len(v) >= MIN_ID_LENGTH)
            yield from (found for v in values for found in ids_in(v))
    elif isinstance(data, list):
        for item in data:
            yield from ids_in(item)


class JobTracker:
    """The jobs seen so far in one recording, and the values that lead to each."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}
        """An id or a URL path -> the job it belongs to."""

    def job_of(self, path: str, query: str, body: bytes) -> str | None:
        """The job a request belongs to, by the ids and URL paths it carries; None for none."""
        text = f"{path}?{query}\n{body.decode('utf-8', 'replace')}"
        return next((job for token, job in self._tokens.items()
                     if token in text), None)

    def learn(self, job: str | None, method: str, status: int, answer: bytes,
              origin: str) -> str | None:
        """Note what an answer tells about jobs: a submit's answer starts one (its name is
        returned), and every URL on ``origin`` in a job's answer leads to that job."""
        if not (200 <= status < 300) or not answer.lstrip().startswith((b"{", b"[")):
            return job
        try:
            text = answer.decode("utf-8")
            data = json.loads(text)
        except ValueError:
            return job
        if job is None and method.upper() not in READS:
            ids = list(ids_in(data))
            if ids:
                job = ids[0]
                for value in ids:
                    self._tokens.setdefault(value, job)
        if job is not None:
            for url in URL.findall(text):
                if url.startswith(origin + "/"):
                    self._tokens.setdefault(urlsplit(url).path, job)
        return job
