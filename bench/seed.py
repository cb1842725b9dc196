"""Seed a Hallmark database with N enrolled users (one credential each) for scale benchmarks.

    .venv/bin/python bench/seed.py N            # uses HALLMARK_INSTANCE / HALLMARK_DATABASE_URL
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import insert


def seed(count: int, batch: int = 20000) -> float:
    """Insert ``count`` users and credentials in batches; returns the seconds it took."""
    from idp import create_app
    from idp.store.db import db
    from idp.store.models import Credential, User

    app = create_app()
    started = time.perf_counter()
    now = datetime.now(UTC).replace(tzinfo=None)
    with app.app_context():
        first = (db.session.query(db.func.max(User.id)).scalar() or 0) + 1
        for start in range(first, first + count, batch):
            ids = range(start, min(start + batch, first + count))
            db.session.execute(insert(User), [{"id": i, "username": f"seed-{i}", "webauthn_user_id": os.urandom(32),
                                               "is_admin": False, "created_at": now} for i in ids])
            db.session.execute(insert(Credential), [{"user_id": i, "credential_id": os.urandom(32),
                                                     "public_key": b"\xa5" * 77, "sign_count": 0, "aaguid": "",
                                                     "name": "seed", "transports": [], "discoverable": True,
                                                     "backed_up": False, "created_at": now} for i in ids])
            db.session.commit()
            done = ids[-1] - first + 1
            if done % 100000 < batch:
                print(f"  seeded {done} users ({time.perf_counter() - started:.0f} s)", flush=True)
        if db.engine.dialect.name == "postgresql":
            for table in ("users", "credentials"):
                db.session.execute(db.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                           f"(SELECT MAX(id) FROM {table}))"))
            db.session.commit()
    return time.perf_counter() - started


if __name__ == "__main__":
    seconds = seed(int(sys.argv[1]))
    print(f"seeded {sys.argv[1]} users in {seconds:.1f} s")
