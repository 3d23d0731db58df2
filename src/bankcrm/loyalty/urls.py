from django.urls import path

from bankcrm.loyalty import views

app_name = "loyalty"
urlpatterns = [
    path("customers/<int:pk>/loyalty/redeem/", views.redeem_view, name="redeem"),
    path("customers/<int:pk>/loyalty/adjust/", views.adjust_view, name="adjust"),
    path("loyalty/redemptions/<int:pk>/cancel/", views.cancel_view, name="cancel"),
    path("loyalty/adjustments/<int:pk>/decide/", views.decide_view, name="decide"),
    path("loyalty/adjustments/", views.adjustments_view, name="adjustments"),
    path("loyalty/expiring/", views.expiring_view, name="expiring"),
    path("loyalty/", views.programme_view, name="programme"),
    path("loyalty/setup/", views.setup_view, name="setup"),
    path("loyalty/tiers/<int:pk>/", views.tier_edit_view, name="tier_edit"),
    path("loyalty/rules/", views.rules_view, name="rules"),
    path("loyalty/rewards/", views.rewards_view, name="rewards"),
    path("loyalty/rewards/<int:pk>/restock/", views.restock_view, name="restock"),
    path("loyalty/kpis/", views.kpis_view, name="kpis"),
]
