"""Rows written straight to the text format: the bytes prometheus_client writes for the
same family, whatever the label values and numbers."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from service.metrics.catalogue import CATALOGUE, JOB_DURATION, MetricSpec
from service.metrics.rows import FamilyRows, go_float

#: Families of every shape: no label, one, two (names out of order), three; a counter.
SPECS = [
    MetricSpec("remitwatch_test_plain", "gauge", "No label."),
    MetricSpec("remitwatch_test_one", "gauge", 'One label, "quoted" \\ help\nsecond line.', ("s",)),
    MetricSpec("remitwatch_test_two", "gauge", "Two labels.", ("series", "bound")),
    MetricSpec("remitwatch_test_three", "gauge", "Three labels.", ("c", "a", "b")),
    MetricSpec("remitwatch_test_things_total", "counter", "A counter.", ("kind", "at")),
]

values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**12), max_value=10**12).map(float),
    st.sampled_from([0.0, -0.0, 1e6, 999999.5, 1234567.0, 1.7e9, 1e22, 1e-7, 0.1]),
)
label_values = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ['a"b', "back\\slash", "new\nline", "", "remit.in.total.M"]
)


class _One(Collector):
    def __init__(self, family: Metric) -> None:
        self.family = family

    def collect(self) -> list[Metric]:
        return [self.family]


def _oracle(rows: FamilyRows) -> bytes:
    return generate_latest(_One(rows.metric()))


@given(
    spec=st.sampled_from(SPECS),
    samples=st.lists(st.tuples(st.lists(label_values, min_size=3, max_size=3), values)),
)
def test_rows_are_written_as_prometheus_client_writes_them(
    spec: MetricSpec, samples: list[tuple[list[str], float]]
) -> None:
    rows = FamilyRows(spec)
    for labels, value in samples:
        rows.add_metric(labels[: len(spec.labels)], value)
    assert rows.text() == _oracle(rows)


@given(st.lists(values))
def test_the_text_parses_back_to_the_same_values(numbers: list[float]) -> None:
    rows = FamilyRows(SPECS[1])
    for index, value in enumerate(numbers):
        rows.add_metric([f'k"{index}\\\n'], value)
    (family,) = text_string_to_metric_families(rows.text().decode())
    parsed = [(sample.labels["s"], sample.value) for sample in family.samples]
    assert len(parsed) == len(numbers)
    for (label, got), (index, value) in zip(parsed, enumerate(numbers), strict=True):
        assert label == f'k"{index}\\\n'
        assert got == value or (math.isnan(got) and math.isnan(value))


@given(values)
def test_go_float_is_prometheus_clients_float_format(value: float) -> None:
    assert go_float(value) == floatToGoString(value)  # type: ignore[no-untyped-call]


def test_a_histogram_is_written_with_its_buckets_count_and_sum() -> None:
    rows = FamilyRows(JOB_DURATION)
    rows.add_histogram(["refit"], [("0.5", 1.0), ("1.0", 3.0), ("+Inf", 4.0)], 7.25)
    assert rows.text() == _oracle(rows)
    assert b'remitwatch_job_duration_seconds_count{job="refit"} 4.0\n' in rows.text()


def test_every_catalogue_family_but_info_has_rows() -> None:
    for spec in CATALOGUE:
        if spec.kind != "info":
            assert FamilyRows(spec).text() == _oracle(FamilyRows(spec))
