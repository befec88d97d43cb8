"""The cached exposition: the same text as formatting every family at each scrape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from service.metrics import CATALOGUE, make_registry, render
from service.metrics.exposition import family_texts, join_in_catalogue_order
from tests.fitted_sample import FittedSample, sample_settings

#: The families rendered at every scrape; every other one is rendered once per read.
LIVE = {
    "remitwatch_info",
    "remitwatch_store_up",
    "remitwatch_metrics_snapshot_seconds",
    "remitwatch_metrics_snapshot_age_seconds",
    "remitwatch_data_age_seconds",
}


class Clock:
    """A settable UTC clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _ours(text: str) -> list[str]:
    """The lines of remitwatch's families (prometheus_client's process figures move)."""
    return [line for line in text.splitlines() if "remitwatch_" in line]


def _families(text: str) -> dict[str, list[str]]:
    """{family: its sample lines}, checking that each family is introduced once, by a
    HELP line then a TYPE line, and that its samples follow them together."""
    found: dict[str, list[str]] = {}
    lines = text.splitlines()
    current = ""
    for index, line in enumerate(lines):
        if line.startswith("# HELP "):
            current = line.split()[2]
            assert current not in found, f"{current} appears twice"
            assert lines[index + 1].startswith(f"# TYPE {current} "), line
            found[current] = []
        elif not line.startswith("# TYPE "):
            family = current.removesuffix("_total").removesuffix("_info")
            assert line.startswith(family), f"{line} outside its family"
            found[current].append(line)
    return found


def test_the_cached_text_is_that_of_every_family_formatted_now(
    fitted_sample: FittedSample,
) -> None:
    clock = Clock()
    registry = make_registry(fitted_sample.store, fitted_sample.settings, clock=clock)
    fast = render(registry).decode()
    clock.now += timedelta(seconds=5)  # the ages move in both
    assert _ours(render(registry).decode()) == _ours(generate_latest(registry).decode())
    assert "remitwatch_shock_zscore{" in fast  # the real figures, not an empty store


def test_every_family_appears_once_with_help_and_type(fitted_sample: FittedSample) -> None:
    text = render(make_registry(fitted_sample.store, fitted_sample.settings)).decode()
    families = _families(text)
    ours = [name for name in families if name.startswith("remitwatch_")]
    assert ours == [spec.name for spec in CATALOGUE]  # all, in catalogue order
    assert [name for name in ours if not families[name]] == [
        "remitwatch_job_last_success_timestamp_seconds",  # the sample has no finished job run
        "remitwatch_job_last_failure_timestamp_seconds",
        "remitwatch_job_last_run_failed",
    ]
    assert text.count("# HELP ") == text.count("# TYPE ") == len(families)
    parsed = [family.name for family in text_string_to_metric_families(text)]
    assert len(parsed) == len(set(parsed)) == len(families)


def test_ages_move_between_scrapes_while_the_snapshot_text_is_reused(
    fitted_sample: FittedSample, statements: list[str]
) -> None:
    clock = Clock()
    settings = sample_settings(fitted_sample.data_dir, metrics={"cache_seconds": 60})
    registry = make_registry(fitted_sample.store, settings, clock=clock)
    first = _families(render(registry).decode())
    assert statements  # the first scrape read the store
    statements.clear()
    clock.now += timedelta(seconds=10)
    second = _families(render(registry).decode())
    assert statements == []  # no read, and no query of any kind
    ours = {name for name in first if name.startswith("remitwatch_")}
    assert ours == {name for name in second if name.startswith("remitwatch_")}
    for name in ours - LIVE:
        assert second[name] == first[name], name
    assert first["remitwatch_metrics_snapshot_age_seconds"] == [
        "remitwatch_metrics_snapshot_age_seconds 0.0"
    ]
    assert second["remitwatch_metrics_snapshot_age_seconds"] == [
        "remitwatch_metrics_snapshot_age_seconds 10.0"
    ]
    ages = [
        {line.split()[0]: float(line.split()[1]) for line in scrape["remitwatch_data_age_seconds"]}
        for scrape in (first, second)
    ]
    assert ages[0].keys() == ages[1].keys() and len(ages[0]) == 2
    for source, age in ages[0].items():
        assert ages[1][source] == pytest.approx(age + 10.0, abs=1e-6)


def test_joining_keeps_the_catalogue_order_whatever_the_parts() -> None:
    early, late = CATALOGUE[1], CATALOGUE[-1]
    texts = family_texts([late.gauge(), early.gauge()])
    apart = join_in_catalogue_order({late.name: texts[late.name]}, {early.name: texts[early.name]})
    assert apart == join_in_catalogue_order(texts) == texts[early.name] + texts[late.name]
