"""The bind check: serving beyond loopback needs tokens or explicit anonymous reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError
from service.api import check_exposure
from tests.service.api.support import TOKENS, settings_for

LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"]
EXPOSED = ["0.0.0.0", "::", "10.0.0.5", "192.168.1.20", "2001:db8::1", "api.example.org"]


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_is_always_allowed(tmp_path: Path, host: str) -> None:
    check_exposure(settings_for(tmp_path), host)


@pytest.mark.parametrize("host", EXPOSED)
def test_an_open_api_beyond_loopback_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(ConfigError) as refused:
        check_exposure(settings_for(tmp_path), host)
    message = str(refused.value)
    assert repr(host) in message
    assert "[api] tokens" in message and "api.anonymous_read = true" in message


@pytest.mark.parametrize("host", EXPOSED)
@pytest.mark.parametrize(
    "api", [{"tokens": TOKENS}, {"anonymous_read": True}], ids=["tokens", "anonymous_read"]
)
def test_tokens_or_anonymous_read_allow_any_address(
    tmp_path: Path, host: str, api: dict[str, object]
) -> None:
    check_exposure(settings_for(tmp_path, api=api), host)
