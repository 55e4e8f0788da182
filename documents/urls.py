"""Downloads for operator reviewers and ops (the admin's links); the owning apps serve their own
documents to partners and citizens from their own views."""
from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    path("<int:pk>/download/", views.document_download, name="download"),
    path("signatures/<int:pk>/download/", views.signature_download, name="signature_download"),
]
