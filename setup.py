"""The one build step pyproject.toml cannot say: templates/ and migrations/ into the package."""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

DATA_FOLDERS = ("templates", "migrations")


class BuildWithPagesAndMigrations(build_py):
    """Copy the top-level templates/ and migrations/ into the built package as idp/templates and
    idp/migrations, so that an installed wheel can render pages and migrate a database."""

    def run(self) -> None:
        super().run()
        for name in DATA_FOLDERS:
            target = os.path.join(self.build_lib, "idp", name)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithPagesAndMigrations})
