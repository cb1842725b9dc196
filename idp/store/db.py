"""The database handle (Flask-SQLAlchemy), the migration engine (Alembic) and a fast path for Core statements."""

from typing import Any, cast

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CursorResult, Executable, Table
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """The declarative base of every model."""


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})  # sessions are per request
migrate = Migrate()


def execute(statement: Executable, params: dict[str, Any]) -> CursorResult[Any]:
    """Execute a prebuilt Core statement in the request's transaction, on its connection directly: the
    ORM session's per-call bookkeeping costs a third of a short indexed statement (the hot paths use this)."""
    return cast(CursorResult[Any], db.session.connection().execute(statement, params))


def table_of(model: type[Any]) -> Table:
    """The Core table of an ORM model, typed as one (``Model.__table__`` is typed as any FromClause)."""
    found = model.__table__
    assert isinstance(found, Table)
    return found
