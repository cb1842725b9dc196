# Hallmark identity provider: multi-stage, non-root, gunicorn, health check, no build tools at run time.
# The Sigstore servers `hallmark stack` runs are built from source at the versions pinned in
# tools/sigstore.versions (stage `sigstore`); no prebuilt binary is downloaded.
FROM golang:1.26-bookworm AS sigstore
WORKDIR /src
COPY tools ./tools
RUN bash tools/build-sigstore-bins.sh

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY idp ./idp
COPY templates ./templates
COPY migrations ./migrations
# The wheel carries the templates and migrations inside the package (setup.py's build step).
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HALLMARK_INSTANCE=/var/lib/hallmark HALLMARK_BIND=0.0.0.0:8080 \
    HALLMARK_SIGSTORE_BIN=/opt/sigstore-bin
RUN useradd --system --uid 10001 --home-dir /var/lib/hallmark --create-home hallmark
COPY --from=sigstore /src/.sigstore-bin /opt/sigstore-bin
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-compile /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY gunicorn.conf.py ./
USER hallmark
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"]
CMD ["sh", "-c", "hallmark db upgrade && exec gunicorn -c /app/gunicorn.conf.py 'idp:create_app()'"]
