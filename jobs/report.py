"""What an ingest run did, in a form the CLI prints and the job run records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from service.store import IngestOutcome


@dataclass(frozen=True)
class SeriesRefresh:
    """The result of re-deriving the series after an ingest."""

    series: int
    new_vintages: int
    unchanged: int
    waiting_rows: int  # transfer totals still waiting for an official rate
    waiting_first_date: date | None

    def to_dict(self) -> dict[str, object]:
        return {
            "series": self.series,
            "new_vintages": self.new_vintages,
            "unchanged": self.unchanged,
            "waiting_rows": self.waiting_rows,
            "waiting_first_date": (
                self.waiting_first_date.isoformat() if self.waiting_first_date else None
            ),
        }


@dataclass
class IngestReport:
    """Files taken, files refused and source failures of one run."""

    job: str
    outcomes: list[IngestOutcome] = field(default_factory=list)
    source_errors: list[str] = field(default_factory=list)
    series: SeriesRefresh | None = None

    @property
    def rejected(self) -> list[IngestOutcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    @property
    def failed(self) -> bool:
        """True when a file was rejected whole or a source failed (exit code 1)."""
        return bool(self.rejected or self.source_errors)

    @property
    def rows_written(self) -> int:
        return sum(o.rows_new + o.rows_corrected for o in self.outcomes)

    @property
    def brought_data(self) -> bool:
        return self.rows_written > 0

    def error_summary(self) -> str | None:
        messages = [f"{o.name}: rejected: {o.reason}" for o in self.rejected]
        return "; ".join(messages + self.source_errors) or None

    def to_dict(self) -> dict[str, object]:
        return {
            "job": self.job,
            "files": [o.to_dict() for o in self.outcomes],
            "source_errors": list(self.source_errors),
            "rows_written": self.rows_written,
            "rows_quarantined": sum(o.rows_quarantined for o in self.outcomes),
            "series": self.series.to_dict() if self.series else None,
        }
