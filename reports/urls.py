from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/agency/<int:agency_id>/", views.dashboard, name="agency_dashboard"),
    path("<int:report_id>/", views.report_detail, name="report_detail"),
    path("<int:report_id>/report.xlsx", views.report_xlsx_download, name="report_xlsx"),
    path("<int:report_id>/signals.csv", views.report_signals_download, name="report_signals"),
]
