"""The schema lives in Alembic migrations: an empty database upgrades to head with no drift."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from hallmark_testing.helpers import make_settings
from idp import create_app
from idp.store.db import db


def test_upgrade_empty_database_to_head_matches_models(tmp_path, database_url):
    app = create_app(make_settings(tmp_path, database_url=database_url))
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            assert context.get_current_revision() is not None
