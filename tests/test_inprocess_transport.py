"""The in-process transport's life: who may end it, what it serves, how it is set up."""

from __future__ import annotations

import httpx
import pytest

from mockserver.testing import transport
from mockserver.testing.apps import mock_settings
from mockserver.testing.inprocess import ORIGIN


def test_clients_come_and_go_while_a_with_block_holds_it() -> None:
    with transport() as mock:
        for _ in range(2):
            with httpx.Client(transport=mock, base_url=mock.base_url("muzaic")) as client:
                assert client.get("/getTags", headers={"MuzaicAPI-Secret-Key": "k"}).is_success
        assert [entry["path"] for entry in mock.controls.journal()] == ["/muzaic/getTags"] * 2


def test_a_client_that_owns_it_ends_it() -> None:
    mock = transport()
    client = httpx.Client(transport=mock, base_url=ORIGIN)
    assert client.get("/_mock/clock").json()["mode"] == "manual"
    client.close()
    with pytest.raises(RuntimeError, match="closed"):
        mock.handle_request(httpx.Request("GET", ORIGIN + "/_mock/health"))


def test_reset_wipes_what_was_received() -> None:
    with transport() as mock:
        with httpx.Client(transport=mock, base_url=mock.base_url("muzaic")) as client:
            client.get("/getTags")
        assert mock.controls.journal() != []
        mock.controls.reset()
        assert mock.controls.journal() == []


def test_base_urls_follow_the_served_providers() -> None:
    with transport(providers=["muzaic"]) as mock:
        assert mock.base_url("muzaic") == ORIGIN  # one provider: served at the root
        with pytest.raises(ValueError, match="served: muzaic"):
            mock.base_url("musicgpt")


def test_an_unknown_setting_is_named() -> None:
    with pytest.raises(TypeError, match="clok.*known: .*clock"):
        mock_settings(clok="manual")


@pytest.mark.parametrize("action", [{"reset": True}, {"body": "truncated"}])
def test_a_dropped_connection_is_a_transport_error_in_process(action: dict) -> None:
    with transport() as mock:
        rule = mock.controls.fault(provider="muzaic", path="/getTags", times=1, action=action)
        with httpx.Client(transport=mock, base_url=mock.base_url("muzaic"),
                          headers={"MuzaicAPI-Secret-Key": "k"}) as client:
            with pytest.raises(httpx.TransportError, match="fault rule"):
                client.get("/getTags")
            assert client.get("/getTags").status_code == 200  # times=1: the next call is fine
        assert [entry["faults"] for entry in mock.controls.journal()] == [[], [rule]]


def test_faults_and_verify_work_through_the_transport() -> None:
    with transport() as mock:
        mock.controls.fault(provider="muzaic", method="GET", path="/getTags", times=1,
                            action={"status": 500})
        with httpx.Client(transport=mock, base_url=mock.base_url("muzaic"),
                          headers={"MuzaicAPI-Secret-Key": "k"}) as client:
            assert [client.get("/getTags").status_code for _ in range(2)] == [500, 200]
        mock.controls.verify(provider="muzaic", method="GET", path="/getTags", count=2)
        with pytest.raises(AssertionError, match=r"(?s)exactly 1 .*found 2.*#\d+ GET /muzaic/getTags"):
            mock.controls.verify(provider="muzaic", path="/getTags", count=1)
