"""The partner's and reviewers' pages on applications (namespace "enrollment")."""
app_name = "enrollment"
urlpatterns: list = []
