# Flow production image: gunicorn web, Celery worker and beat share it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# WeasyPrint needs Pango; fonts for Cyrillic PDFs are bundled in static/fonts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install .
COPY . .
RUN pip install --no-deps -e . \
 && DJANGO_SETTINGS_MODULE=flow.settings.prod SECRET_KEY=$(python -c "import secrets; print(secrets.token_urlsafe(50))") ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 flow && mkdir -p /app/var && chown -R flow /app/var
USER flow
ENV DJANGO_SETTINGS_MODULE=flow.settings.prod
EXPOSE 8000
CMD ["gunicorn", "flow.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
