# syntax=docker/dockerfile:1
# One image for every Aries process: `aries serve` (default), `aries project`, `aries worker`,
# `aries db upgrade`. See docker-compose.yml for how they are wired together.

# ---- builder: resolve and install everything into a virtualenv --------------------------------
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /src

# Dependencies first, in their own layer: it is rebuilt only when the lock changes. The lock
# (`make lock`) pins every package with its hashes: the same versions in every build, and pip
# refuses a file whose hash differs. It holds the runtime dependencies only: no embedded
# servers, no demo data, no test tools.
COPY requirements.lock ./
RUN pip install --upgrade pip \
    && pip install --require-hashes -r requirements.lock

# Then Aries itself (README.md is the package's long description, so the build needs it), as a
# wheel installed without dependencies: they all came from the lock.
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY application ./application
COPY projections ./projections
COPY interfaces ./interfaces
COPY migrations ./migrations
# A wheel, not an editable install: the image must not depend on /src. The checks run outside
# /src so that they import the installed copy.
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && pip install --no-deps --no-index /wheels/aries-*.whl \
    && cd / \
    && aries --help > /dev/null \
    && python -c "import pathlib, migrations; \
assert sorted((pathlib.Path(migrations.__file__).parent / 'versions').glob('0*.py')), \
'migrations missing from the wheel'"

# ---- runtime: the virtualenv (which holds Aries' source, installed from its wheel) -----------
# No compilers, no build files, no tests: only what runs. The unprivileged user owns /app.
FROM python:3.11-slim AS runtime

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ARIES_HOST=0.0.0.0 \
    ARIES_PORT=8000

RUN groupadd --system --gid 10001 aries \
    && useradd --system --uid 10001 --gid aries --create-home --home-dir /app \
        --shell /usr/sbin/nologin aries

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app

USER aries:aries
EXPOSE 8000

# Liveness of the API. Compose turns this off for the processes that serve no HTTP.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('ARIES_PORT', '8000'), timeout=4)"]

ENTRYPOINT ["aries"]
CMD ["serve"]
