from django.urls import path

from enrollment.views import cabinet as views

app_name = "cabinet"
urlpatterns = [
    path("", views.cabinet_home, name="home"),
]
