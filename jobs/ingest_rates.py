"""Ingest NBKR official rates from a URL, an XML file, a folder of them, or a history CSV."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from config import Settings
from jobs.errors import RejectedFileError, SourceError
from jobs.progress import ProgressHook, no_progress
from jobs.received import fingerprint, read_bytes
from jobs.refresh_series import refresh_series
from jobs.report import IngestReport
from jobs.sources.http import fetch, is_http_url
from jobs.sources.nbkr_xml import parse_rates_xml
from jobs.sources.parsed import ParsedRates, shorten
from jobs.sources.rates_csv import parse_rates_history_csv
from jobs.sources.wide_unicode import WideEncoding, wide_encoding
from service.store import IngestOutcome, Store

log = logging.getLogger(__name__)

#: The largest rate document read: a daily file is ~2 KB and a history of every currency
#: over thirty years ~15 MB. A larger one is refused before it is parsed.
MAX_RATE_DOCUMENT_BYTES = 32 * 1024 * 1024
_XML_ENCODING = re.compile(r"""<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_UTF16_NAMES = frozenset({"utf-16", "utf-16le", "utf-16be", "utf16"})


@dataclass(frozen=True)
class RateDocument:
    name: str
    data: bytes


def _rate_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.is_symlink() and p.suffix.lower() in (".xml", ".csv")
    )


def rate_sources(source: str) -> list[str]:
    """The documents a SOURCE names: itself (URL or file) or the .xml/.csv files of a folder."""
    if is_http_url(source):
        return [source]
    path = Path(source)
    if path.is_dir():
        return [str(p) for p in _rate_files(path)]
    if path.is_file():
        return [source]
    raise SourceError(f"rates source {source!r} is not an http(s) URL, a file or a folder")


def _load(source: str, settings: Settings) -> RateDocument:
    if is_http_url(source):
        return RateDocument(source, fetch(source, settings.http).content)
    return RateDocument(source, read_bytes(Path(source)))


def parse_rate_document(document: RateDocument) -> ParsedRates:
    """XML when the content starts with '<' (UTF-8, windows-1251 or UTF-16), else the
    history CSV (UTF-8)."""
    wide = wide_encoding(document.data)
    if wide is not None:
        return _parse_wide(document, wide)
    head = document.data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return parse_rates_xml(document.data, document.name)
    return parse_rates_history_csv(document.data, document.name)


def _parse_wide(document: RateDocument, wide: WideEncoding) -> ParsedRates:
    """A document in UTF-16 or UTF-32: UTF-16 XML is read (every XML parser must, and
    expat decodes it from the bytes under the same DTD and entity refusals); anything
    else is refused with the encoding named, rather than misread as CSV."""
    text = wide.text_start(document.data)
    if not text.lstrip().startswith("<"):
        raise RejectedFileError(
            document.name, f"{wide.describe()}; the rate history CSV is expected in UTF-8"
        )
    if wide.name.startswith("UTF-32"):
        raise RejectedFileError(
            document.name,
            f"{wide.describe()}; the NBKR rate XML is expected in windows-1251 or UTF-8 "
            "(UTF-16 is read too)",
        )
    declared = _XML_ENCODING.match(text.lstrip())
    if declared and declared.group(1).strip().lower() not in _UTF16_NAMES:
        raise RejectedFileError(
            document.name,
            f"{wide.describe()}, but its XML declaration says "
            f"encoding={shorten(declared.group(1))!r}; save it again in the encoding it "
            "declares (NBKR rate XML is windows-1251 or UTF-8)",
        )
    return parse_rates_xml(document.data, document.name)


def ingest_rate_document(store: Store, document: RateDocument) -> IngestOutcome:
    received = fingerprint(document.name, "rates", document.data)
    if store.file_seen(received.sha256):
        return IngestOutcome(name=document.name, status="duplicate")
    try:
        if len(document.data) > MAX_RATE_DOCUMENT_BYTES:
            raise RejectedFileError(
                document.name,
                f"{len(document.data)} bytes is more than a rate document holds "
                f"(at most {MAX_RATE_DOCUMENT_BYTES} bytes)",
            )
        parsed = parse_rate_document(document)
    except RejectedFileError as exc:
        log.warning("%s", exc)
        return store.record_rejected_file(received, exc.reason)
    total = len(parsed.rates) + len(parsed.quarantined)
    return store.ingest_rates_file(received, parsed.rates, parsed.quarantined, total)


def ingest_rates(
    store: Store,
    settings: Settings,
    source: str | None = None,
    progress: ProgressHook = no_progress,
) -> IngestReport:
    """Ingest every rate document SOURCE names (default: `rates.source`), then the series."""
    report = IngestReport(job="ingest_rates")
    chosen = source or settings.rates.source
    if not chosen:
        report.source_errors.append(
            "no rates source: give SOURCE or set rates.source (REMITWATCH_RATES__SOURCE)"
        )
        return report
    try:
        names = rate_sources(chosen)
    except SourceError as exc:
        report.source_errors.append(str(exc))
        return report
    for done, name in enumerate(names, start=1):
        try:
            report.outcomes.append(ingest_rate_document(store, _load(name, settings)))
        except SourceError as exc:
            log.error("%s", exc)
            report.source_errors.append(str(exc))
        progress(done, len(names), name)
    if report.brought_data:
        report.series = refresh_series(store, settings)
    return report
