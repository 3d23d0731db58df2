from django.urls import path

from bankcrm.sales import views

app_name = "sales"
urlpatterns = [
    path("", views.agenda_view, name="agenda"),
    path("agenda/log/", views.agenda_log_view, name="agenda_log"),
    path("agenda/snooze/", views.agenda_snooze_view, name="agenda_snooze"),
    path("leads/", views.lead_list_view, name="leads"),
    path("leads/new/", views.lead_create_view, name="lead_create"),
    path("leads/import/", views.lead_import_view, name="lead_import"),
    path("leads/<int:pk>/", views.lead_detail_view, name="lead"),
    path("leads/<int:pk>/qualify/", views.lead_qualify_view, name="lead_qualify"),
    path("leads/<int:pk>/disqualify/", views.lead_disqualify_view, name="lead_disqualify"),
    path("leads/<int:pk>/convert/", views.lead_convert_view, name="lead_convert"),
    path("leads/<int:pk>/activity/", views.lead_activity_view, name="lead_activity"),
    path("opportunities/", views.opportunity_list_view, name="opportunities"),
    path("opportunities/board/", views.board_view, name="board"),
    path("opportunities/<int:pk>/", views.opportunity_detail_view, name="opportunity"),
    path("opportunities/<int:pk>/move/", views.opportunity_move_view, name="opportunity_move"),
    path(
        "customers/<int:pk>/opportunity/", views.opportunity_create_view, name="opportunity_create"
    ),
    path(
        "customers/<int:pk>/recommendation/",
        views.opportunity_from_recommendation_view,
        name="opportunity_from_recommendation",
    ),
    path("pipeline/", views.pipeline_view, name="pipeline"),
    path("portfolio/", views.portfolio_view, name="portfolio"),
    path("performance/", views.performance_view, name="performance"),
    path("targets/", views.targets_view, name="targets"),
]
