"""Parse NBKR's official rate files (`daily.xml`, `weekly.xml`) into `OfficialRate` records.

The files look like this (windows-1251, declared in the XML declaration)::

    <CurrencyRates Name="Daily Exchange Rates" Date="03.07.2026">
      <Currency ISOCode="USD"><Nominal>1</Nominal><Value>87,4500</Value></Currency>
      ...

`Value` is som per `Nominal` units with a decimal comma; the weekly file adds
`<ValidFor>`. The rates are keyed on the file's `Date`, which is the day they take effect:
the file published in the evening already carries the next business day's date.
"""

from __future__ import annotations

import re
from datetime import date
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException, DTDForbidden

from jobs.errors import RejectedFileError
from jobs.sources.parsed import (
    ParsedRates,
    RateCandidate,
    RateFieldError,
    parse_currency_code,
    parse_nominal,
    parse_rate_value,
    settle_duplicate_rates,
    shorten,
)
from service.store.records import OfficialRate, QuarantinedRow

ROOT_ELEMENT = "CurrencyRates"
CURRENCY_ELEMENT = "Currency"
_FILE_DATE = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{4})")


def parse_rates_xml(data: bytes, origin: str) -> ParsedRates:
    """Read one NBKR rate file; `origin` (file name or URL) names it in errors.

    Raises `RejectedFileError` when the file as a whole cannot be used: not well-formed,
    a DTD or entities (refused: entity expansion and external entities are attacks), a
    root other than `CurrencyRates`, a missing or invalid `Date`, or no `Currency`. A bad
    `Currency` entry is quarantined with `row_number` = its 1-based position.
    """
    root = _parse_document(data, origin)
    if root.tag != ROOT_ELEMENT:
        raise RejectedFileError(
            origin, f"the root element is <{shorten(root.tag)}>, expected <{ROOT_ELEMENT}>"
        )
    rate_date = _file_date(root.get("Date"), origin)
    entries = root.findall(CURRENCY_ELEMENT)
    if not entries:
        raise RejectedFileError(origin, f"<{ROOT_ELEMENT}> holds no <{CURRENCY_ELEMENT}> element")

    candidates: list[RateCandidate] = []
    quarantined: list[QuarantinedRow] = []
    for position, entry in enumerate(entries, start=1):
        raw = _entry_text(entry)
        try:
            rate = OfficialRate(
                rate_date=rate_date,
                currency=parse_currency_code(raw["ISOCode"], "ISOCode"),
                nominal=parse_nominal(raw["Nominal"], "Nominal"),
                value=parse_rate_value(raw["Value"], "Value"),
            )
        except RateFieldError as error:
            quarantined.append(QuarantinedRow(position, error.column, error.reason, raw))
            continue
        candidates.append(RateCandidate(position, rate, raw))

    settled = settle_duplicate_rates(candidates, "ISOCode", f"<{CURRENCY_ELEMENT}> elements")
    all_quarantined = sorted([*quarantined, *settled.quarantined], key=lambda r: r.row_number)
    return ParsedRates(rates=settled.rates, quarantined=all_quarantined)


def _parse_document(data: bytes, origin: str) -> Element:
    # Bytes, not text: the XML declaration (windows-1251) decides the decoding.
    try:
        return SafeElementTree.fromstring(data, forbid_dtd=True)
    except DTDForbidden as error:
        raise RejectedFileError(
            origin,
            "the XML has a document type declaration (<!DOCTYPE>); NBKR rate files have "
            f"none, and DTDs are refused because they allow entity-expansion and "
            f"external-entity attacks ({error})",
        ) from error
    except DefusedXmlException as error:
        raise RejectedFileError(
            origin, f"the XML uses entities or external references, which are refused ({error})"
        ) from error
    except ParseError as error:
        raise RejectedFileError(origin, f"not well-formed XML ({error})") from error
    except (LookupError, ValueError) as error:
        # LookupError: an unknown encoding in the declaration; ValueError: bytes that the
        # declared codec cannot decode.
        raise RejectedFileError(origin, f"unreadable XML ({error})") from error


def _file_date(text: str | None, origin: str) -> date:
    if text is None:
        raise RejectedFileError(origin, f"<{ROOT_ELEMENT}> has no Date attribute")
    match = _FILE_DATE.fullmatch(text.strip())
    if match is None:
        raise RejectedFileError(origin, f"Date={shorten(text)!r} is not a DD.MM.YYYY date")
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as error:
        raise RejectedFileError(origin, f"Date={text!r} is not a valid date ({error})") from error


def _entry_text(entry: Element) -> dict[str, str | None]:
    """The entry's fields as text: ISOCode, Nominal, Value (None when absent), then the rest."""
    raw: dict[str, str | None] = {"ISOCode": entry.get("ISOCode"), "Nominal": None, "Value": None}
    for child in entry:
        if child.tag in raw and (child.tag == "ISOCode" or raw[child.tag] is not None):
            continue  # the attribute names the currency; a repeated field keeps its first text
        raw[child.tag] = child.text or ""
    return raw
