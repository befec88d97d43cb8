"""Metric families as Prometheus text, family by family, so parts can be cached.

A scrape's exposition is the text of the families that change at every scrape joined
with the text of those rendered once per snapshot read; each family appears once, with
its HELP and TYPE lines, in catalogue order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from service.metrics.catalogue import CATALOGUE
from service.metrics.gzipped import Deflated
from service.metrics.rows import FamilyRows

#: Family name (prometheus_client's, without `_total`/`_info`) -> its exposition text.
FamilyTexts = Mapping[str, bytes]


class _Families(Collector):
    """A collector of fixed families: what generate_latest formats."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


def family_texts(families: Iterable[Metric]) -> dict[str, bytes]:
    """The text format 0.0.4 of each family (HELP, TYPE, samples), by family name."""
    return {family.name: generate_latest(_Families([family])) for family in families}


def rows_texts(families: Iterable[FamilyRows]) -> dict[str, bytes]:
    """The text format 0.0.4 of each family of rows (as family_texts would give for
    their metric()), by family name."""
    return {family.spec.family_name: family.text() for family in families}


def join_in_catalogue_order(*parts: FamilyTexts) -> bytes:
    """One exposition of the families in `parts` (which must not overlap), in the
    catalogue's order."""
    texts: list[bytes] = []
    for spec in CATALOGUE:
        for part in parts:
            if (text := part.get(spec.family_name)) is not None:
                texts.append(text)
    return b"".join(texts)


@dataclass(frozen=True)
class PreparedFamilies:
    """Families rendered once per read, as runs of families that follow each other in
    the catalogue, each run with its text deflated once (see service.metrics.gzipped).
    `runs` holds (catalogue index of the run's first family, the run)."""

    runs: tuple[tuple[int, Deflated], ...] = ()


def prepare_runs(texts: FamilyTexts) -> PreparedFamilies:
    """`texts` grouped into runs of families consecutive in the catalogue."""
    runs: list[tuple[int, Deflated]] = []
    run: list[bytes] = []
    start = 0
    for index, spec in enumerate(CATALOGUE):
        if (text := texts.get(spec.family_name)) is not None:
            start = index if not run else start
            run.append(text)
        elif run:
            runs.append((start, Deflated.of(b"".join(run))))
            run = []
    if run:
        runs.append((start, Deflated.of(b"".join(run))))
    return PreparedFamilies(tuple(runs))


def pieces_in_catalogue_order(
    live: FamilyTexts, prepared: PreparedFamilies
) -> list[bytes | Deflated]:
    """The families of `live` (which must not be in `prepared`) and the runs of
    `prepared`, in the catalogue's order."""
    order = {spec.family_name: index for index, spec in enumerate(CATALOGUE)}
    placed: list[tuple[int, bytes | Deflated]] = [
        (order[name], text) for name, text in live.items()
    ]
    placed += prepared.runs
    return [piece for _, piece in sorted(placed, key=lambda item: item[0])]
