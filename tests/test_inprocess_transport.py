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
