"""Recording a scripted session around the bundled mock, and replaying servers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from session import Step

from live import LiveServer
from mockserver.http.app import create_app
from mockserver.providers import PROVIDERS
from mockserver.recording.recorder import Recorder
from mockserver.testing.apps import mock_settings
from mockserver.testing.servers import LocalServer

SIGNING_KEY = "a-file-signing-key-shared-by-both-servers"
CONFIG = {"files": {"signing_key": SIGNING_KEY}}


@dataclass
class Recording:
    """A recorded session: its cassettes, the origin it was recorded on, its answers."""

    directory: Path
    origin: str
    steps: list[Step]


def advance_by(client: httpx.Client) -> Callable[[float], None]:
    """A function moving the server's manual clock."""
    def advance(seconds: float) -> None:
        assert client.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200
    return advance


def record(root: Path, script: Callable[[httpx.Client, Callable[[float], None]], list[Step]]
           ) -> Recording:
    """Run ``script`` against a fresh mock wrapped in a ``Recorder`` writing to root/cassettes."""
    app = create_app(mock_settings(state_path=str(root / "state.db"), config=CONFIG))
    sensitive = {h for p in PROVIDERS.values() for h in p.sensitive_headers}
    recorder = Recorder(app, root / "cassettes", app.locate, sensitive_headers=sensitive,
                        clock=app.services.clock.now)
    try:
        with LocalServer(recorder) as server, httpx.Client(base_url=server.url,
                                                           timeout=120) as client:
            return Recording(root / "cassettes", server.url, script(client, advance_by(client)))
    finally:
        app.services.store.close()


REPLAY_SEED = 7
"""The replaying servers' seed, not the recording's (0): an answer synthesized instead of
replayed would carry other ids and sounds."""


def replay_server(recording: Recording, tmp_path: Path, strict: bool = False,
                  seed: int = REPLAY_SEED) -> LiveServer:
    """A fresh mock replaying the recording (its own state file, no upstream)."""
    return LiveServer(mock_settings(state_path=str(tmp_path / "replay.db"), config=CONFIG,
                                    replay=str(recording.directory), replay_strict=strict,
                                    seed=seed))
