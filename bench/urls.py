"""Flow's URLs plus the bench's minimal page (bench.views.minimal), the applications list's limit."""
from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/minimal/", views.minimal, name="bench_minimal"),
    path("", include("flow.urls")),
]
