from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language

from accounts import views as account_views

admin.site.site_header = "Flow — администрирование"
admin.site.site_title = "Flow"
admin.site.index_title = "Рабочие очереди федерального оператора"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("programs/", include("programs.urls")),
    path("documents/", include("documents.urls")),
    path("applications/", include("enrollment.partner_urls")),
    path("orders/", include("orders.urls")),
    path("cohorts/", include("cohorts.urls")),
    path("analytics/", include("analytics.urls")),
    path("cabinet/", include("enrollment.urls")),
    path("privacy/", include("privacy.urls")),
    path("", include("core.urls")),
    # Django's view: POST sets the language, GET only redirects; other verbs are refused.
    path("i18n/setlang/", login_not_required(require_http_methods(["GET", "HEAD", "POST"])(set_language)),
         name="set_language"),
    path("admin/", admin.site.urls),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

if settings.DEBUG:
    urlpatterns += [path("dev/", include("core.dev_urls"))]
