from django.urls import path

from core import views

app_name = "core"
urlpatterns = [
    path("exports/", views.export_list, name="export_list"),
    path("exports/start/<str:kind>/", views.export_start, name="export_start"),
    path("exports/<int:pk>/", views.export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("queues/<str:key>/", views.queue_detail, name="queue_detail"),
]
