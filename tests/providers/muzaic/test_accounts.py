"""Keys, accounts, tokens, and origins for ``/soundtrack/{origin}``."""

from __future__ import annotations

from pathlib import Path

from live import LiveServer
from mockserver.core.settings import Settings

REGION = {"time": 0, "duration": 2.5, "action": "generate"}


def _server(tmp_path: Path, **kwargs) -> LiveServer:
    return LiveServer(Settings(state_path=str(tmp_path / "state.db"), **kwargs))


def test_any_key_gets_its_own_account_and_usage_is_tracked(fresh_server: LiveServer) -> None:
    with fresh_server.client("/muzaic", headers={"MuzaicAPI-Secret-Key": "alice"}) as alice, \
            fresh_server.client("/muzaic", headers={"MuzaicAPI-Secret-Key": "bob"}) as bob:
        start = alice.get("/accountDetails").json()
        assert alice.post("/soundtrack", json={"regions": [REGION]}).json()["tokensUsed"] == 3
        assert alice.post("/singleFile", json={"duration": 4}).json()["tokensUsed"] == 4
        after = alice.get("/accountDetails").json()
        other = bob.get("/accountDetails").json()
    assert after["tokensUsed"] == start["tokensUsed"] + 7
    assert after["tokensRemaining"] == start["tokensRemaining"] - 7
    assert after["accountId"] != other["accountId"]
    assert other["tokensUsed"] == 0


def test_key_list_refuses_other_keys(tmp_path: Path) -> None:
    with _server(tmp_path, api_keys=("known",)) as live:
        with live.client("/muzaic", headers={"MuzaicAPI-Secret-Key": "stranger"}) as client:
            refused = client.get("/accountDetails")
        with live.client("/muzaic", headers={"MuzaicAPI-Secret-Key": "known"}) as client:
            accepted = client.get("/accountDetails")
    assert refused.status_code == 401
    assert refused.json() == {"error": "Invalid MuzaicAPI Secret Key"}
    assert accepted.status_code == 200


def test_exhausted_balance_is_402_and_charges_nothing(tmp_path: Path) -> None:
    config = {"providers": {"muzaic": {"balance": 10}}}
    with _server(tmp_path, config=config) as live:
        with live.client("/muzaic", headers={"MuzaicAPI-Secret-Key": "poor"}) as client:
            assert client.post("/singleFile", json={"duration": 8}).status_code == 200
            refused = client.post("/singleFile", json={"duration": 3})
            details = client.get("/accountDetails").json()
    assert refused.status_code == 402
    assert "insufficient tokens" in refused.json()["error"]
    assert details["tokensRemaining"] == 2 and details["tokensUsed"] == 8


def test_origins_limit_keys_and_endpoints(tmp_path: Path) -> None:
    config = {"providers": {"muzaic": {"origins": {
        "studio": {"keys": ["k1"], "endpoints": ["/soundtrack"]},
        "kiosk": {"keys": ["k1"], "endpoints": []},
    }}}}
    body = {"regions": [REGION]}
    with _server(tmp_path, config=config) as live:
        with live.client("/muzaic", headers={"MuzaicAPI-Secret-Key": "k1"}) as k1, \
                live.client("/muzaic", headers={"MuzaicAPI-Secret-Key": "k2"}) as k2:
            allowed = k1.post("/soundtrack/studio", json=body)
            wrong_key = k2.post("/soundtrack/studio", json=body)
            not_allowed = k1.post("/soundtrack/kiosk", json=body)
            unknown = k1.post("/soundtrack/elsewhere", json=body)
    assert allowed.status_code == 200
    assert wrong_key.status_code == 403 and "not valid for origin 'studio'" in wrong_key.json()["error"]
    assert not_allowed.status_code == 403 and "not allowed" in not_allowed.json()["error"]
    assert unknown.status_code == 403 and "not configured" in unknown.json()["error"]


def test_without_origin_config_every_origin_is_open(fresh_server: LiveServer) -> None:
    with fresh_server.client("/muzaic", headers={"MuzaicAPI-Secret-Key": "k"}) as client:
        response = client.post("/soundtrack/anything", json={"regions": [REGION]})
    assert response.status_code == 200
