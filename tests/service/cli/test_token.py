"""`remitwatch token new`: the printed entry admits the printed token, and only it."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config import Settings
from service.api import create_app
from service.store import Store

REMITWATCH = str(Path(sys.executable).parent / "remitwatch")


def _new(name: str, scope: str) -> tuple[str, dict[str, str]]:
    result = subprocess.run(
        [REMITWATCH, "token", "new", name, "--scope", scope],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = re.search(r"^token: (\S+)$", result.stdout, re.M)
    entry = re.search(r"^\s+(\{.*\})$", result.stdout, re.M)
    assert token and entry, result.stdout
    parsed = tomllib.loads(f"entry = {entry.group(1)}")["entry"]
    assert token.group(1) not in entry.group(1)  # only the hash goes in the configuration
    return token.group(1), parsed


@pytest.mark.parametrize(("scope", "admin_status"), [("read", 403), ("admin", 202)])
def test_the_printed_entry_admits_the_token(tmp_path: Path, scope: str, admin_status: int) -> None:
    token, entry = _new("analyst", scope)
    assert entry["name"] == "analyst" and entry["scope"] == scope
    settings = Settings(paths={"data_dir": tmp_path}, api={"tokens": [entry]})
    store = Store.open(settings.database_url)
    store.upgrade()
    try:
        client = TestClient(create_app(settings, store))
        sent = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/series", headers=sent).status_code == 200
        assert client.get("/api/v1/series").status_code == 401
        wrong = {"Authorization": f"Bearer {token}x"}
        assert client.get("/api/v1/series", headers=wrong).status_code == 401
        made = client.post("/api/v1/jobs/score/requests", headers=sent)
        assert made.status_code == admin_status, made.text
    finally:
        store.close()


def test_every_token_is_new() -> None:
    first, _ = _new("a", "read")
    second, _ = _new("a", "read")
    assert first != second and len(first) >= 40
