"""Metric families as Prometheus text, family by family, so parts can be cached.

A scrape's exposition is the text of the families that change at every scrape joined
with the text of those rendered once per snapshot read; each family appears once, with
its HELP and TYPE lines, in catalogue order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from service.metrics.catalogue import CATALOGUE

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


def join_in_catalogue_order(*parts: FamilyTexts) -> bytes:
    """One exposition of the families in `parts` (which must not overlap), in the
    catalogue's order."""
    texts: list[bytes] = []
    for spec in CATALOGUE:
        for part in parts:
            if (text := part.get(spec.family_name)) is not None:
                texts.append(text)
    return b"".join(texts)
