"""One blueprint per area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import account, device, enroll, login, oauth, profile, wellknown

    for module in (wellknown, oauth, login, enroll, account, profile, device):
        app.register_blueprint(module.bp)
