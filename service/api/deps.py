"""What routes are given: the app's settings and store, built once and held on app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from config import Settings
from service.api.body_cache import BodyCache
from service.store import Store


def get_settings(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


def get_store(request: Request) -> Store:
    store = request.app.state.store
    assert isinstance(store, Store)
    return store


def get_body_cache(request: Request) -> BodyCache:
    cache = request.app.state.body_cache
    assert isinstance(cache, BodyCache)
    return cache


BodyCacheDep = Annotated[BodyCache, Depends(get_body_cache)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
