from django.urls import path

from bankcrm.interactions import views

app_name = "interactions"
urlpatterns = [
    path("customers/<int:pk>/interactions/", views.interaction_create_view, name="create"),
    path("customers/<int:pk>/tasks/", views.task_create_view, name="task_create"),
    path("tasks/<int:pk>/status/", views.task_status_view, name="task_status"),
    path("tasks/", views.my_tasks_view, name="my_tasks"),
]
