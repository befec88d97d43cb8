"""The metric catalogue against the README's table and the shock rule it exposes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, get_args

import pytest

from config.settings import ShockSettings
from models.shocks import ShockRule
from service.metrics import CATALOGUE
from service.metrics.catalogue import SHOCK_DIRECTION, SHOCK_DIRECTION_VALUES

Direction = Literal["both", "down", "up"]
README = Path(__file__).resolve().parents[3] / "README.md"
#: A row of the README's metric table: name, type, labels.
ROW = re.compile(r"^\| `(remitwatch_\w+)` \| (\w+)[^|]* \| ([^|]+) \|")


def _readme_rows() -> list[tuple[str, str, tuple[str, ...]]]:
    rows = []
    for line in README.read_text(encoding="utf-8").splitlines():
        if found := ROW.match(line):
            name, kind, labels = found.groups()
            rows.append((name, kind, tuple(re.findall(r"`(\w+)`", labels))))
    return rows


def test_the_readme_table_lists_the_catalogue_in_order() -> None:
    catalogue = [(spec.name, spec.kind, spec.labels) for spec in CATALOGUE]
    assert _readme_rows() == catalogue


def test_every_configurable_direction_has_a_value() -> None:
    directions = get_args(ShockSettings.model_fields["direction"].annotation)
    assert set(SHOCK_DIRECTION_VALUES) == set(directions) == {"down", "both", "up"}
    assert "-1" in SHOCK_DIRECTION.help and "+1" in SHOCK_DIRECTION.help


@pytest.mark.parametrize("direction", ["down", "both", "up"])
@pytest.mark.parametrize("zscore", [-4.2, -2.8, -0.5, 0.5, 2.8, 4.2])
def test_the_direction_value_counts_the_sides_the_shock_rule_counts(
    direction: Direction, zscore: float
) -> None:
    # The alert rules count a z when sgn(z) * remitwatch_shock_direction >= 0.
    rule = ShockRule(direction=direction)
    sign = 1.0 if zscore > 0 else -1.0
    assert rule.counts(zscore) == (sign * SHOCK_DIRECTION_VALUES[direction] >= 0)
