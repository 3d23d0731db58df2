from django.urls import path

from bankcrm.web import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("search/", views.search_view, name="search"),
]
