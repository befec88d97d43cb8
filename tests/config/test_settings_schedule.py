"""A scheduled job runs on a crontab line or every N seconds: exactly one of the two."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config.settings import JobSchedule


@pytest.mark.parametrize(
    "values",
    [{}, {"cron": "*/15 * * * *", "every_seconds": 20.0}],
)
def test_a_schedule_has_exactly_one_trigger(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="either cron or every_seconds"):
        JobSchedule(**values)


def test_either_trigger_alone_is_a_schedule() -> None:
    assert JobSchedule(cron="0 3 * * sun").every_seconds == 0
    assert JobSchedule(every_seconds=20.0).cron == ""
