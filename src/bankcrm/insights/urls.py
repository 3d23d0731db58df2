from django.urls import path

from bankcrm.insights import views

app_name = "insights"
urlpatterns = [
    path("at-risk/", views.at_risk_view, name="at_risk"),
    path("at-risk/<int:pk>/task/", views.retention_task_view, name="retention_task"),
    path("runs/", views.run_list_view, name="runs"),
    path("runs/<int:pk>/", views.run_detail_view, name="run"),
]
