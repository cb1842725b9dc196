"""One blueprint per area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from idp.views import (
        account,
        admin,
        device,
        email,
        enroll,
        health,
        home,
        language,
        login,
        oauth,
        profile,
        tuf,
        wellknown,
    )

    for module in (home, language, admin, wellknown, oauth, login, enroll, account, email, profile, device, tuf,
                   health):
        app.register_blueprint(module.bp)
