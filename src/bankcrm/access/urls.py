from django.urls import path

from bankcrm.access import audit_views, security_views, staff_views, token_views, views

app_name = "access"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("login/2fa/", views.two_factor_view, name="two_factor"),
    path("security/", security_views.security_view, name="security"),
    path("security/sessions/<str:ref>/end/", security_views.session_end_view, name="session_end"),
    path(
        "security/tokens/<int:pk>/revoke/",
        security_views.token_revoke_any_view,
        name="token_revoke_any",
    ),
    path("audit/", audit_views.audit_view, name="audit"),
    path("audit/verify/", audit_views.audit_verify_view, name="audit_verify"),
    path("audit/export.csv", audit_views.audit_export_view, name="audit_export"),
    path("audit/customers/<int:pk>/", audit_views.customer_access_view, name="customer_access"),
    path("account/password/", staff_views.password_change_view, name="password_change"),
    path("staff/", staff_views.staff_list_view, name="staff_list"),
    path("staff/new/", staff_views.staff_create_view, name="staff_create"),
    path("staff/<int:pk>/", staff_views.staff_edit_view, name="staff_edit"),
    path("staff/<int:pk>/password/", staff_views.staff_password_view, name="staff_password"),
    path("staff/<int:pk>/unlock/", staff_views.staff_unlock_view, name="staff_unlock"),
    path("account/tokens/", token_views.token_list_view, name="token_list"),
    path("account/tokens/<int:pk>/revoke/", token_views.token_revoke_view, name="token_revoke"),
]
