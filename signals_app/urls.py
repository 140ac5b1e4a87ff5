from django.urls import path

from signals_app import views
from signals_app.ui.views import alerts, answers, intake, queue, saved, signal, work

app_name = "signals_app"

urlpatterns = [
    path("", queue.signal_list, name="signal_list"),
    path("new/", queue.signal_list_new, name="signal_list_new"),
    path("filters/", queue.signal_filters, name="signal_filters"),
    path("bulk/", queue.signal_bulk, name="signal_bulk"),
    path("bulk/fields/", queue.signal_bulk_fields, name="signal_bulk_fields"),
    path("counts/", queue.signal_counts, name="signal_counts"),
    path("columns/", queue.queue_columns_save, name="queue_columns"),
    path("my/", work.my_work, name="my_work"),
    path("register/", intake.signal_register_form, name="signal_register"),
    path("views/", saved.saved_view_list, name="saved_view_list"),
    path("views/save/", saved.saved_view_save, name="saved_view_save"),
    path("views/<int:view_id>/", saved.saved_view_change, name="saved_view_change"),
    path("templates/", answers.answer_template_list, name="answer_template_list"),
    path("templates/<int:template_id>/", answers.answer_template_list, name="answer_template_edit"),
    path("agencies/<int:agency_id>/", work.agency_detail, name="agency_detail"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/panel/", views.notification_panel, name="notification_panel"),
    path("notifications/badge/", views.notification_badge, name="notification_badge"),
    path("notifications/read/", views.notification_read, name="notification_read"),
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
    path("alerts/", alerts.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/", alerts.alert_detail, name="alert_detail"),
    path("alerts/<int:alert_id>/<str:decision>/", alerts.alert_decide, name="alert_decide"),
    # A signal's number is region-year-sequence (74-2026-000123): after the fixed paths above.
    path("<slug:number>/", signal.signal_detail, name="signal_detail"),
    path("<slug:number>/print/", signal.signal_print, name="signal_print"),
    path("<slug:number>/do/<slug:action>/", signal.signal_action, name="signal_action"),
    path("<slug:number>/template/", signal.signal_template, name="signal_template"),
    path(
        "<slug:number>/attachments/<int:attachment_id>/",
        signal.attachment_file,
        name="attachment_file",
    ),
]
