from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("exports/", views.export_create, name="export_create"),
    path("exports/<int:export_id>/", views.export_detail, name="export_detail"),
    path("exports/<int:export_id>/file", views.export_file, name="export_file"),
    path("dashboard/agency/<int:agency_id>/", views.dashboard, name="agency_dashboard"),
    path("<int:report_id>/", views.report_detail, name="report_detail"),
    path("<int:report_id>/report.xlsx", views.report_xlsx_download, name="report_xlsx"),
    path("<int:report_id>/report.pdf", views.report_pdf_download, name="report_pdf"),
    path("<int:report_id>/signals.csv", views.report_signals_download, name="report_signals"),
]
