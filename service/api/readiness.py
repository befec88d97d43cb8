"""Readiness: the store answers and each source delivered data recently enough."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from config import Settings
from service.api.schemas import Readiness, ReadinessCheck
from service.store import DatabaseUnavailableError, Store, StoreError

logger = logging.getLogger(__name__)

#: Source name in Store.last_arrivals() -> the readiness setting that bounds its age.
_LIMITS = {"rates": "rates_max_age_hours", "transfers": "transfers_max_age_hours"}


def _freshness(
    source: str, setting: str, limit_hours: float, arrived: datetime | None, now: datetime
) -> ReadinessCheck:
    name = f"{source}_freshness"
    if limit_hours == 0:
        return ReadinessCheck(
            name=name, ok=True, detail=f"not checked (readiness.{setting} = 0)", max_age_hours=0
        )
    if arrived is None:
        return ReadinessCheck(
            name=name,
            ok=False,
            detail=f"no {source} data has ever arrived (limit {limit_hours:g} h)",
            max_age_hours=limit_hours,
        )
    age = (now - arrived).total_seconds() / 3600
    ok = age <= limit_hours
    detail = (
        f"{source} data last arrived {age:.1f} h ago at {arrived.isoformat()}, "
        f"{'within' if ok else 'older than'} the limit of {limit_hours:g} h (readiness.{setting})"
    )
    return ReadinessCheck(
        name=name, ok=ok, detail=detail, age_hours=round(age, 3), max_age_hours=limit_hours
    )


def _answers() -> ReadinessCheck:
    return ReadinessCheck(name="store", ok=True, detail="the store answers")


def readiness(store: Store, settings: Settings, now: datetime | None = None) -> Readiness:
    """Each check with what it found; ready when all pass."""
    now = now or datetime.now(UTC)
    limits = {source: getattr(settings.readiness, key) for source, key in _LIMITS.items()}
    try:
        store.ping()
        current, head = store.schema_revisions()
        if current != head:
            detail = (
                f"the store's schema is at revision {current or 'none'}, this version needs "
                f"{head}: the scheduler migrates it on start, or run `remitwatch db upgrade`"
            )
            logger.warning("not ready: %s", detail)
            schema = ReadinessCheck(name="schema", ok=False, detail=detail)
            return Readiness(ready=False, checks=[_answers(), schema])
        arrivals = store.last_arrivals()
    except (StoreError, DatabaseUnavailableError) as exc:
        # The reason (with the URL, password masked) goes to the log, not to anonymous callers.
        logger.warning("not ready: %s", exc)
        unknown = [
            ReadinessCheck(
                name=f"{source}_freshness",
                ok=limit == 0,
                detail="unknown: the store cannot be reached",
                max_age_hours=limit,
            )
            for source, limit in limits.items()
        ]
        failed = ReadinessCheck(name="store", ok=False, detail="the store cannot be reached")
        return Readiness(ready=False, checks=[failed, *unknown])
    checks = [_answers(), ReadinessCheck(name="schema", ok=True, detail=f"revision {head}")]
    checks += [
        _freshness(source, _LIMITS[source], limit, arrivals.get(source), now)
        for source, limit in limits.items()
    ]
    return Readiness(ready=all(check.ok for check in checks), checks=checks)
