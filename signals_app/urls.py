from django.urls import path

from signals_app import views

app_name = "signals_app"

urlpatterns = [
    path("", views.signal_list, name="signal_list"),
    path("counts/", views.signal_counts, name="signal_counts"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("inbox/failed/", views.inbox_failed, name="inbox_failed"),
    path("inbox/reprocess/", views.inbox_reprocess, name="inbox_reprocess"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:job_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:job_id>/report.csv", views.import_report, name="import_report"),
    path("mass-incidents/", views.mass_proposal_list, name="mass_proposal_list"),
    path(
        "mass-incidents/<int:proposal_id>/<str:decision>/",
        views.mass_proposal_decide,
        name="mass_proposal_decide",
    ),
    path("notifications/read/", views.notification_read, name="notification_read"),
]
