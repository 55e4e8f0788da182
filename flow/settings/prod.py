"""Production: HTTPS only, secrets from the environment (a missing one fails loudly)."""
from flow.settings.base import *  # noqa: F403
from flow.settings.base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
# CFG-03: the development key (it is in git) never signs production sessions and links, not even
# as an old key kept for rotation in SECRET_KEY_FALLBACKS. A short or repetitive key is caught by
# `check --deploy` (security.W009, CI); it is not refused here because the image build runs
# collectstatic with a throw-away key.
for _key in (SECRET_KEY, *SECRET_KEY_FALLBACKS):  # noqa: F405
    if _key.startswith("dev-insecure-"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY (and each SECRET_KEY_FALLBACKS key) must come from the "
                                   "environment: 50+ random characters, never the development key.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The __Host- prefix pins cookies to this host, HTTPS and path "/".
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
# Staff accounts must use an authenticator app (AUTH-06); not switchable off by the environment.
TWO_FACTOR_MANDATORY = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

TEMPLATES[0]["APP_DIRS"] = False  # noqa: F405 - the cached loader below replaces app directories
TEMPLATES[0]["OPTIONS"]["loaders"] = [  # noqa: F405
    ("django.template.loaders.cached.Loader", [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]),
]

# CFG-10: e-mail leaves over TLS only. `smtp+tls://` (STARTTLS, certificate verified: a server that
# does not offer STARTTLS makes the send fail, nothing goes out in plaintext) or `smtps://`.
# (django-environ sets EMAIL_USE_TLS/SSL only for the schemes that have them.)
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend" and not (  # noqa: F405
        globals().get("EMAIL_USE_TLS") or globals().get("EMAIL_USE_SSL")):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("EMAIL_URL must use smtp+tls:// or smtps://: e-mail is never sent in plaintext.")
