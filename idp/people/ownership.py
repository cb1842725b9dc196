"""Which rows are a person's: every table with a ``user_id`` column (the account's own row aside), in the
order the schema's foreign keys allow creating them. The data export reads them; deleting an account
removes them in the reverse order. A new table with a ``user_id`` joins both without a change here."""

from __future__ import annotations

from sqlalchemy import Table

from idp.store.db import db


def tables_of_a_person() -> list[Table]:
    """The tables holding rows that belong to one person, parents before children."""
    return [table for table in db.metadata.sorted_tables if table.name != "users" and "user_id" in table.c]
