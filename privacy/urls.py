"""The citizen's privacy pages (namespace "privacy"), mounted at /privacy/ in flow/urls.py."""
from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("policy/", views.policy, name="policy"),
    path("consent/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("my-data/", views.subject_data_download, name="subject_data"),
]
