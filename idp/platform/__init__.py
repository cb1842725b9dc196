"""The ground the server stands on: settings, time, mail, key custody (PKCS#11), caches, secret files, gunicorn."""
