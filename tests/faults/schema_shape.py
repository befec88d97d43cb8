"""The shape of a store's schema, to compare a recovered migration with a clean one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, inspect

from service.store.migrate import current_revision


def schema_shape(url: str) -> dict[str, Any]:
    """Revision, tables (columns, primary key, unique constraints, indexes) and views."""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        tables: dict[str, Any] = {}
        for table in sorted(found.get_table_names()):
            tables[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)
                ],
                "primary_key": found.get_pk_constraint(table)["constrained_columns"],
                "unique": sorted(
                    tuple(u["column_names"]) for u in found.get_unique_constraints(table)
                ),
                "indexes": sorted(
                    (str(i["name"]), tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
                    for i in found.get_indexes(table)
                ),
            }
        return {
            "revision": current_revision(engine),
            "tables": tables,
            "views": sorted(found.get_view_names()),
        }
    finally:
        engine.dispose()
