from django.urls import path

from bankcrm.ingest import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list_view, name="list"),
    path("<int:pk>/", views.import_detail_view, name="detail"),
    path("<int:pk>/progress/", views.import_progress_view, name="progress"),
    path("<int:pk>/errors.csv", views.import_report_view, name="report"),
]
