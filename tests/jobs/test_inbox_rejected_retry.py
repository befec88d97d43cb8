"""A refused file whose move to rejected/ failed goes to rejected/ on the next run.

The first move fails for real: a regular file stands where the rejected/ folder should
be (chmod would not stop root, which the tests may run as). The file stays in the inbox
with its checksum recorded as rejected; once the operator removes the obstacle, the next
run must move it to rejected/ with its .reason, not to the archive as a duplicate.
"""

from __future__ import annotations

from config import Settings
from jobs.ingest_transfers import ingest_transfers
from service.store import Store

REASON = "missing required column(s) report_date"


def test_a_refused_file_left_in_the_inbox_is_rejected_on_the_next_run(
    store: Store, settings: Settings
) -> None:
    inbox = settings.paths.inbox
    inbox.mkdir(parents=True)
    refused = inbox / "garbage.csv"
    refused.write_text("not,a,transfer,report\n1,2,3,4\n")
    settings.paths.rejected.write_text("in the way\n")  # a file, not a folder

    first = ingest_transfers(store, settings)
    assert [o.status for o in first.outcomes] == ["rejected"]
    [error] = first.source_errors
    assert f"{refused}: recorded as rejected but not moved to {settings.paths.rejected}" in error
    assert refused.exists()

    settings.paths.rejected.unlink()  # the operator's fix
    second = ingest_transfers(store, settings)

    assert [o.status for o in second.outcomes] == ["duplicate"]
    assert second.source_errors == []
    assert not refused.exists()
    assert not settings.paths.archive.exists() or list(settings.paths.archive.rglob("*.csv")) == []
    moved = settings.paths.rejected / "garbage.csv"
    assert moved.read_text() == "not,a,transfer,report\n1,2,3,4\n"
    reason = (settings.paths.rejected / "garbage.csv.reason").read_text()
    assert reason.startswith(REASON), reason
    assert reason == (first.outcomes[0].reason or "") + "\n"


def test_a_duplicate_of_an_ingested_file_is_still_archived(
    store: Store, settings: Settings
) -> None:
    inbox = settings.paths.inbox
    inbox.mkdir(parents=True)
    report = "report_date,bank_code,system,country,direction,currency,amount,count\n"
    report += "2024-05-02,B1,CONTACT,RU,in,RUB,1.00,1\n"
    (inbox / "a.csv").write_text(report)
    assert not ingest_transfers(store, settings).failed
    (inbox / "a-again.csv").write_text(report)

    again = ingest_transfers(store, settings)

    assert [o.status for o in again.outcomes] == ["duplicate"] and not again.failed
    assert sorted(p.name for p in settings.paths.archive.rglob("*.csv")) == ["a-again.csv", "a.csv"]
    assert not settings.paths.rejected.exists() or list(settings.paths.rejected.iterdir()) == []
