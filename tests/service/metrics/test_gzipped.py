"""The gzip body: the plain exposition, compressed, with the snapshot's part compressed
once per read; /metrics sends it to clients that accept gzip."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from service.api import create_app
from service.metrics import accepts_gzip, make_registry, render, render_gzip
from service.metrics.gzipped import Deflated, gzip_body, plain_body
from tests.fitted_sample import FittedSample


def _gunzip_one_member(body: bytes) -> bytes:
    """The body's text, checking it is one gzip member (a reader that stops after the
    first member, as some HTTP clients do, must see it all)."""
    reader = zlib.decompressobj(16 + zlib.MAX_WBITS)
    text = reader.decompress(body) + reader.flush()
    assert reader.eof and reader.unused_data == b""
    return text


texts = st.binary(max_size=3000) | st.text(max_size=300).map(str.encode)


@given(st.lists(st.tuples(st.booleans(), texts), max_size=8))
def test_a_gzip_body_holds_the_pieces_joined(pieces: list[tuple[bool, bytes]]) -> None:
    mixed = [Deflated.of(text) if once else text for once, text in pieces]
    body = gzip_body(mixed)
    assert _gunzip_one_member(body) == plain_body(mixed) == b"".join(t for _, t in pieces)
    assert gzip.decompress(body) == plain_body(mixed)


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate, GZip;q=0.5", True),
        ("identity", False),
        ("", False),
        ("gzip;q=0", False),
        ("gzip; q=0.0, identity", False),
        ("br, x-gzip", True),
        ("gzipped", False),
    ],
)
def test_accept_encoding(header: str, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def test_the_gzip_exposition_is_the_plain_one(fitted_sample: FittedSample) -> None:
    moment = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    registry = make_registry(fitted_sample.store, fitted_sample.settings, clock=lambda: moment)
    plain = render(registry)
    unzipped = _gunzip_one_member(render_gzip(registry))

    def ours(text: bytes) -> list[bytes]:  # the process figures move between two calls
        return [line for line in text.splitlines() if b"remitwatch_" in line]

    assert ours(unzipped) == ours(plain) and len(ours(plain)) > 100


def test_metrics_is_gzipped_for_clients_that_ask(fitted_sample: FittedSample) -> None:
    app = create_app(fitted_sample.settings, fitted_sample.store)
    with TestClient(app) as client:
        zipped = client.get("/metrics", headers={"Accept-Encoding": "gzip"})
        plain = client.get("/metrics", headers={"Accept-Encoding": "identity"})
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["content-type"] == plain.headers["content-type"]
    assert int(zipped.headers["content-length"]) * 3 < int(plain.headers["content-length"])
    assert "remitwatch_store_up 1.0" in zipped.text  # httpx unzipped it
