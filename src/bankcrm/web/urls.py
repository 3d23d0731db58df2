from django.urls import path

from bankcrm.web import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("search/", views.search_view, name="search"),
    path("views/", views.saved_view_create_view, name="saved_view_create"),
    path("views/<int:pk>/delete/", views.saved_view_delete_view, name="saved_view_delete"),
]
