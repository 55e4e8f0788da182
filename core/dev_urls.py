"""Development-only pages, mounted under /dev/ when DEBUG is on."""
from django.urls import path

from core import views

app_name = "dev"
urlpatterns = [
    path("mail/", views.mail_list, name="mail_list"),
    path("mail/<int:pk>/", views.mail_detail, name="mail_detail"),
    path("mail/<int:pk>/html/", views.mail_html, name="mail_html"),
]
