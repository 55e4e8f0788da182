"""The production settings module passes Django's deployment checklist (CFG-01, CFG-05, CFG-07)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROD_ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "flow.settings.prod",
    "SECRET_KEY": "x" * 20 + "-test-only-deploy-check-" + "y" * 30,
    "ALLOWED_HOSTS": "flow.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
}


def test_check_deploy_reports_no_issues():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=PROD_ENV, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_cookies_are_host_prefixed_secure_and_argon2_hashes_first():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.PASSWORD_HASHERS[0], s.DEBUG]))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=PROD_ENV,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == ["__Host-sessionid", "__Host-csrftoken", True, True, 31_536_000,
                      "django.contrib.auth.hashers.Argon2PasswordHasher", False]


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
