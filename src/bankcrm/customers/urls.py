from django.urls import path

from bankcrm.customers import bulk_views, steward_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list_view, name="list"),
    path("new/", views.customer_create_view, name="create"),
    path("export/", bulk_views.customer_export_view, name="export"),
    path("bulk/tasks/", bulk_views.bulk_task_view, name="bulk_task"),
    path("bulk/reassign/", bulk_views.bulk_reassign_view, name="bulk_reassign"),
    path("duplicates/", steward_views.duplicate_list_view, name="duplicates"),
    path("duplicates/merge/", steward_views.merge_view, name="merge"),
    path("duplicates/dismiss/", steward_views.dismiss_view, name="dismiss"),
    path("<int:pk>/", views.customer_detail_view, name="detail"),
    path("<int:pk>/edit/", views.customer_edit_view, name="edit"),
    path("<int:pk>/reveal/", views.customer_reveal_view, name="reveal"),
    path(
        "<int:pk>/accounts/<int:account_id>/reveal/",
        views.account_reveal_view,
        name="account_reveal",
    ),
    path("<int:pk>/consents/", views.consent_record_view, name="consent"),
]
