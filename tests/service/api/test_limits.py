"""Request limits (body size, rate per client) and closed CORS, through the real app."""

from __future__ import annotations

import asyncio
import json

from starlette.types import Message, Receive, Scope, Send

from service.api.limits import RequestLimits, TokenBuckets
from tests.service.api.support import ADMIN, READ, TOKENS, MakeApi, error_of

SCENARIO = {"change_pct": -20.0, "months": 3}


def test_a_body_over_the_limit_is_refused_before_the_route(make_sample_api: MakeApi) -> None:
    api = make_sample_api(api={"max_body_bytes": 4096})
    small = api.client.post("/api/v1/scenarios", json=SCENARIO)
    # The same scenario, valid JSON padded with white space past the limit.
    padded = (json.dumps(SCENARIO) + " " * 5000).encode()
    headers = {"Content-Type": "application/json"}
    big = api.client.post("/api/v1/scenarios", content=padded, headers=headers)
    assert small.status_code == 200, small.text
    assert big.status_code == 413
    assert "4096 bytes" in error_of(big)["message"]


def test_a_chunked_body_is_counted_as_it_arrives() -> None:
    reached: list[bytes] = []

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        reached.append(message.get("body", b""))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limits = RequestLimits(route, max_body_bytes=10, rate_per_second=0, burst=1)

    def call(chunks: list[bytes]) -> int:
        pending = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]
        sent: list[Message] = []

        async def receive() -> Message:
            return pending.pop(0) if pending else {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/api/v1/scenarios", "headers": []}
        asyncio.run(limits(scope, receive, send))
        return int(sent[0]["status"])

    assert call([b"12345", b"67890"]) == 200 and reached == [b"1234567890"]
    assert call([b"12345", b"67890", b"1"]) == 413 and len(reached) == 1


def test_token_buckets_refill_at_the_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=2.0, burst=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == 0.5  # one token comes back every half second
    assert buckets.take("b") == 0.0  # another client has its own bucket
    now[0] = 0.5
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0
    now[0] = 100.0  # a long pause refills up to the burst, not beyond
    assert [buckets.take("a") for _ in range(4)][-1] > 0


def test_clients_over_their_rate_get_429_and_probes_always_pass(
    make_empty_api: MakeApi,
) -> None:
    api = make_empty_api(
        api={"tokens": TOKENS, "rate_limit_per_second": 0.01, "rate_limit_burst": 3}
    )
    answers = [api.client.get("/api/v1/jobs/runs", headers=READ).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = api.client.get("/api/v1/jobs/runs", headers=READ)
    assert int(refused.headers["Retry-After"]) >= 1
    assert "too many requests" in error_of(refused)["message"]
    # Another token has its own budget; the probes and /metrics are never counted.
    assert api.client.get("/api/v1/jobs/runs", headers=ADMIN).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics") * 3:
        assert api.client.get(path).status_code != 429, path


def test_the_limit_can_be_turned_off(make_empty_api: MakeApi) -> None:
    api = make_empty_api(api={"rate_limit_per_second": 0, "rate_limit_burst": 1})
    assert {api.client.get("/api/v1/jobs/runs").status_code for _ in range(20)} == {200}


def test_no_cors_headers_are_sent(make_empty_api: MakeApi) -> None:
    api = make_empty_api()
    origin = {"Origin": "https://elsewhere.example"}
    preflight = api.client.options(
        "/api/v1/series", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    plain = api.client.get("/api/v1/series", headers=origin)
    for response in (preflight, plain):
        assert not any(name.lower().startswith("access-control-") for name in response.headers)
