from django.urls import path

from bankcrm.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list_view, name="list"),
    path("<int:pk>/", views.job_detail_view, name="detail"),
    path("<int:pk>/run-again/", views.job_run_again_view, name="run_again"),
]
