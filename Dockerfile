# syntax=docker/dockerfile:1
# motcua: one image for the api and projector services (and the integrator,
# which comes with the integration issue).
FROM python:3.11-slim

COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /usr/local/bin/

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    MOTCUA_DATA_DIR=/data

WORKDIR /app

# Dependencies first, so code changes do not invalidate this layer.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

COPY domain ./domain
COPY application ./application
COPY projections ./projections
COPY adapters ./adapters
COPY api ./api
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

RUN useradd --system --uid 10001 --home-dir /data --create-home motcua \
    && mkdir -p /data && chown motcua /data
USER motcua
VOLUME ["/data"]
EXPOSE 8000

CMD ["motcua", "serve", "--host", "0.0.0.0", "--port", "8000"]
