# One process: back office on :8000 and the Telegram bot. Settings come from the environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

RUN useradd --create-home --uid 10001 brug
COPY pyproject.toml README.md ./
COPY brug ./brug
RUN pip install .

USER brug
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["brug", "run", "--host", "0.0.0.0", "--port", "8000"]
