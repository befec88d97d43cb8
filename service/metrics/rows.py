"""A metric family's samples as plain rows, written straight to the text format.

A snapshot of 1,000 series is about 21,000 samples. Building prometheus_client's
`Sample`s (a dict of labels each) and formatting them through `generate_latest` holds
the GIL for a few hundred milliseconds and leaves garbage for the collector; the rows
here are formatted in one pass instead, to the same bytes (label names sorted, values by
prometheus_client's own `floatToGoString`). `metric()` still gives the prometheus_client
family, for `collect()`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from service.metrics.catalogue import MetricSpec

#: prometheus_client's float formatting (untyped there).
_float_to_go_string: Callable[[float], str] = floatToGoString

#: One histogram sample set: label values, cumulative buckets (le, count), sum.
HistogramRow = tuple[tuple[str, ...], list[tuple[str, float]], float]


def escape_label_value(value: str) -> str:
    """A label value as the text format quotes it (backslash, newline, double quote)."""
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


def go_float(value: float) -> str:
    """`floatToGoString(value)`, without its checks for the common case: a repr with a
    dot at most six digits in (no exponent form to switch to, not inf or NaN)."""
    text = repr(float(value))
    if -1 < text.find(".") <= 6:
        return text
    return _float_to_go_string(value)


class _One(Collector):
    def __init__(self, family: Metric) -> None:
        self._family = family

    def collect(self) -> list[Metric]:
        return [self._family]


class FamilyRows:
    """The samples of the family `spec` describes, as (label values, value) rows in the
    order of `spec.labels` (gauges and counters), or histogram rows."""

    def __init__(self, spec: MetricSpec) -> None:
        if spec.kind == "info":
            raise TypeError(f"{spec.name} is an info metric: build it with MetricSpec.info")
        self.spec = spec
        self.rows: list[tuple[tuple[str, ...], float]] = []
        self.histograms: list[HistogramRow] = []

    def add_metric(self, labels: Sequence[str], value: float) -> None:
        """One sample of a gauge or counter (the counter's `_total` sample)."""
        self.rows.append((tuple(labels), value))

    def add_histogram(
        self, labels: Sequence[str], buckets: Sequence[tuple[str, float]], sum_value: float
    ) -> None:
        """One histogram: cumulative (le, count) buckets ending with +Inf, and the sum."""
        self.histograms.append((tuple(labels), list(buckets), sum_value))

    def metric(self) -> Metric:
        """The same samples as a prometheus_client family."""
        spec = self.spec
        if spec.kind == "histogram":
            histogram = spec.histogram()
            for labels, buckets, sum_value in self.histograms:
                histogram.add_metric(labels, buckets, sum_value)
            return histogram
        family = spec.gauge() if spec.kind == "gauge" else spec.counter()
        for labels, value in self.rows:
            family.add_metric(labels, value)
        return family

    def text(self) -> bytes:
        """The family in the text format 0.0.4: what generate_latest writes for metric()."""
        spec = self.spec
        if spec.kind == "histogram":  # one sample set per job: not worth a second writer
            return generate_latest(_One(self.metric()))
        name = spec.name  # a counter's exposition name already ends in _total
        help_text = spec.help.replace("\\", r"\\").replace("\n", r"\n")
        lines = [f"# HELP {name} {help_text}\n# TYPE {name} {spec.kind}\n"]
        order = sorted(range(len(spec.labels)), key=spec.labels.__getitem__)
        names = [spec.labels[index] for index in order]
        if len(names) == 1:
            head = f'{name}{{{names[0]}="'
            lines += [
                f'{head}{escape_label_value(labels[0])}"}} {go_float(value)}\n'
                for labels, value in self.rows
            ]
        elif len(names) == 2:
            (first, second), (one, two) = names, order
            head, middle = f'{name}{{{first}="', f'",{second}="'
            lines += [
                f"{head}{escape_label_value(labels[one])}{middle}"
                f'{escape_label_value(labels[two])}"}} {go_float(value)}\n'
                for labels, value in self.rows
            ]
        else:
            for labels, value in self.rows:
                pairs = ",".join(
                    f'{label}="{escape_label_value(labels[index])}"'
                    for label, index in zip(names, order, strict=True)
                )
                braces = f"{{{pairs}}}" if pairs else ""
                lines.append(f"{name}{braces} {go_float(value)}\n")
        return "".join(lines).encode("utf-8")
