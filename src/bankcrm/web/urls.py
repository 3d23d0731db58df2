from django.urls import path

from bankcrm.web import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("audit/", views.audit_view, name="audit"),
]
