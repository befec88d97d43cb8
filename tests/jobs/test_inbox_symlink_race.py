"""A file swapped for a symlink after the inbox (or a rates folder) was listed is not followed.

The swap is made deterministic with the progress hook: after the first file is done,
the second one (already listed as a regular file) is replaced by a symlink to a report
outside the inbox. The job must refuse it at open time, say which file and why, leave
it where it is, and store nothing of what lies outside.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from config import Settings
from jobs.ingest_rates import ingest_rates
from jobs.ingest_transfers import ingest_transfers
from jobs.progress import ProgressHook
from service.store import Store
from service.store.schema import transfer_vintages

HEADER = "report_date,bank_code,system,country,direction,currency,amount,count\n"
RATES_HEADER = "date,currency,nominal,value\n"


def _swap_after_first(victim: Path, target: Path) -> ProgressHook:
    def swap(done: int, total: int, name: str) -> None:
        if done == 1:
            victim.unlink()
            victim.symlink_to(target)

    return swap


def test_an_inbox_file_swapped_for_a_symlink_is_refused_and_left(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    inbox = settings.paths.inbox
    inbox.mkdir(parents=True)
    (inbox / "a.csv").write_text(HEADER + "2024-05-02,INSIDE,CONTACT,RU,in,RUB,1.00,1\n")
    (inbox / "b.csv").write_text(HEADER + "2024-05-02,SECOND,CONTACT,RU,in,RUB,2.00,1\n")
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text(HEADER + "2024-05-02,OUTSIDE,CONTACT,RU,in,RUB,3.00,1\n")
    swap = _swap_after_first(inbox / "b.csv", secret)

    report = ingest_transfers(store, settings, progress=swap)

    assert [outcome.name for outcome in report.outcomes] == [str(inbox / "a.csv")]
    [error] = report.source_errors
    assert error.startswith(f"{inbox / 'b.csv'}: not read: it is a symbolic link"), error
    assert report.failed
    assert sorted(p.name for p in inbox.iterdir()) == ["b.csv"]
    assert (inbox / "b.csv").is_symlink() and secret.exists()
    with store.engine.connect() as connection:
        stored = connection.execute(select(transfer_vintages.c.bank_code)).scalars().all()
    assert stored == ["INSIDE"]
    archived = [p for p in settings.paths.archive.rglob("*") if p.is_file() or p.is_symlink()]
    assert [p.name for p in archived] == ["a.csv"]


def test_a_rates_file_swapped_for_a_symlink_is_refused(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "rates"
    folder.mkdir()
    (folder / "a.csv").write_text(RATES_HEADER + "2024-05-01,USD,1,88.0000\n")
    (folder / "b.csv").write_text(RATES_HEADER + "2024-05-01,EUR,1,95.0000\n")
    secret = tmp_path / "secret.csv"
    secret.write_text(RATES_HEADER + "2024-05-01,RUB,1,0.9680\n")

    report = ingest_rates(
        store, settings, str(folder), progress=_swap_after_first(folder / "b.csv", secret)
    )

    [error] = report.source_errors
    assert error.startswith(f"{folder / 'b.csv'}: not read: it is a symbolic link"), error
    assert store.current_rates()["currency"].to_list() == ["USD"]
