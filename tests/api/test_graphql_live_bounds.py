"""Subscriptions are bounded: per-process count, idle time, lifetime; settings checked."""

from __future__ import annotations

import time

import pytest

from adapters.settings import ConfigurationError, Settings
from tests.api.conftest import SUBSCRIBE, MakeApi, receive, receive_paper


def subscribe(session: object, operation: str, code: str) -> None:
    session.send_json(  # type: ignore[attr-defined]
        {
            "id": operation,
            "type": "subscribe",
            "payload": {"query": SUBSCRIBE, "variables": {"code": code}},
        }
    )


class TestBounds:
    def test_subscriptions_beyond_the_limit_are_refused_and_a_slot_frees_on_end(
        self, make_api: MakeApi
    ) -> None:
        api = make_api(options={"SUBSCRIPTIONS_MAX": "1"})
        code = receive_paper(api)["code"]
        with api.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]
        ) as session:
            session.send_json({"type": "connection_init"})
            assert receive(session)["type"] == "connection_ack"
            subscribe(session, "1", code)
            assert receive(session)["type"] == "next"
            assert api.services.feed.subscribers == 1

            subscribe(session, "2", code)
            refused = receive(session)
            assert (refused["id"], refused["type"]) == ("2", "next")
            codes = [e["extensions"]["code"] for e in refused["payload"]["errors"]]
            assert codes == ["TOO_MANY_SUBSCRIPTIONS"]
            assert receive(session) == {"id": "2", "type": "complete"}

            session.send_json({"id": "1", "type": "complete"})
            deadline = time.monotonic() + 5
            while api.services.feed.subscribers and time.monotonic() < deadline:
                time.sleep(0.02)
            assert api.services.feed.subscribers == 0
            subscribe(session, "3", code)
            assert receive(session)["type"] == "next"

    def test_one_connection_may_hold_only_its_share_of_subscriptions(
        self, make_api: MakeApi
    ) -> None:
        api = make_api(options={"SUBSCRIPTIONS_PER_CONNECTION": "2"})
        code = receive_paper(api)["code"]
        with (
            api.client.websocket_connect(
                "/graphql", subprotocols=["graphql-transport-ws"]
            ) as greedy,
            api.client.websocket_connect(
                "/graphql", subprotocols=["graphql-transport-ws"]
            ) as other,
        ):
            for session in (greedy, other):
                session.send_json({"type": "connection_init"})
                assert receive(session)["type"] == "connection_ack"
            for operation in ("1", "2"):
                subscribe(greedy, operation, code)
                assert receive(greedy)["type"] == "next"
            subscribe(greedy, "3", code)
            refused = receive(greedy)
            assert refused["id"] == "3"
            codes = [e["extensions"]["code"] for e in refused["payload"]["errors"]]
            assert codes == ["TOO_MANY_SUBSCRIPTIONS"]
            assert receive(greedy) == {"id": "3", "type": "complete"}

            subscribe(other, "1", code)  # another connection is not affected
            assert receive(other)["type"] == "next"
            assert api.services.feed.subscribers == 3

            greedy.send_json({"id": "1", "type": "complete"})
            deadline = time.monotonic() + 5
            while api.services.feed.subscribers > 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            subscribe(greedy, "4", code)  # the slot came back
            assert receive(greedy)["type"] == "next"

    @pytest.mark.parametrize(
        "option", ["SUBSCRIPTION_IDLE_SECONDS", "SUBSCRIPTION_SECONDS"]
    )
    def test_a_subscription_without_changes_completes_after_its_bound(
        self, make_api: MakeApi, option: str
    ) -> None:
        api = make_api(options={option: "1"})
        code = receive_paper(api)["code"]
        with api.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]
        ) as session:
            session.send_json({"type": "connection_init"})
            assert receive(session)["type"] == "connection_ack"
            started = time.monotonic()
            subscribe(session, "1", code)
            assert receive(session)["type"] == "next"
            assert receive(session, timeout=5) == {"id": "1", "type": "complete"}
            assert 0.8 <= time.monotonic() - started < 5
            assert api.services.feed.subscribers == 0


@pytest.mark.parametrize("raw", ["0", "-3", "abc", "1.5", ""])
def test_bounds_that_are_not_whole_numbers_above_zero_are_refused(raw: str) -> None:
    with pytest.raises(ConfigurationError):
        Settings(options={"READY_MAX_LAG": raw}).value("READY_MAX_LAG")


def test_absent_bounds_take_their_default() -> None:
    assert Settings().value("READY_MAX_LAG") == 1000
    assert Settings(options={"READY_MAX_LAG": " 7 "}).value("READY_MAX_LAG") == 7
