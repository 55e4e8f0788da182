"""Development-only pages, mounted under /dev/ when DEBUG is on."""
from django.urls import path  # noqa: F401

app_name = "dev"
urlpatterns: list = []
