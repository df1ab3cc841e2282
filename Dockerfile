# One image for every role: web, workers, beat and the one-shot migration (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SAFETYNET_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY cli ./cli
COPY messages ./messages
COPY pathway ./pathway
COPY schema ./schema
COPY web ./web
COPY worker ./worker
COPY examples ./examples
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app safetynet \
    && mkdir -p /data \
    && chown safetynet /data

USER safetynet
EXPOSE 8000
CMD ["uvicorn", "web.app:app", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers"]
