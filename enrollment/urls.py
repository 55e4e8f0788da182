from django.urls import path

from enrollment import views

app_name = "cabinet"
urlpatterns = [
    path("", views.cabinet_home, name="home"),
]
