"""A key spelled differently (spaces, case) is the same key: batches find its repeats.

The batched reader finds repeated keys from a hash of the clean key text; these files
spell the same few keys many ways, across batches, and must quarantine exactly what the
whole-file parser quarantines.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.sources.transfer_files import parse_transfer_file
from tests.jobs.sources.test_transfer_batches import assert_same, batched, csv_bytes

_SPELLINGS = [
    st.sampled_from(["2026-05-01", " 2026-05-01", "2026-05-01 ", "2026-5-01", "2026-05-02"]),
    st.sampled_from(["KICB", " KICB", "KICB ", "kicb"]),
    st.sampled_from(["Contact", "Contact ", "contact"]),
    st.sampled_from(["RU", "ru", " Ru", "KZ"]),
    st.sampled_from(["in", "IN", " In ", "out"]),
    st.sampled_from(["RUB", "rub", "RUB "]),
    st.sampled_from(["1.00", "1", "2.50", "x"]),
    st.sampled_from(["3", "3.0", " 3", "-1"]),
]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(*_SPELLINGS), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=7),
)
def test_keys_spelled_differently_repeat_across_batches(
    rows: list[tuple[str, ...]], batch_rows: int
) -> None:
    data = csv_bytes([",".join(fields) for fields in rows])
    assert_same(batched(data, "spelled.csv", batch_rows), parse_transfer_file(data, "spelled.csv"))


def test_a_repeat_spelled_in_lower_case_two_batches_apart_is_quarantined() -> None:
    lines = [
        "2026-05-01,KICB,Contact,RU,in,RUB,1.00,3",
        "2026-05-02,KICB,Contact,RU,in,RUB,1.00,3",
        "2026-05-03,KICB,Contact,RU,in,RUB,1.00,3",
        " 2026-05-01,KICB ,Contact,ru,IN,rub,2.00,4",
    ]
    parsed = batched(csv_bytes(lines), "may.csv", 1)
    assert [row.row_number for row in parsed.quarantined] == [1, 4]
    assert parsed.rows.height == 2
