"""`/api/v1/`: signals, reference data and reports (the ingest endpoints sit beside them)."""

from django.urls import path

from reports import api as reports
from signals_app.api import reference, views

app_name = "api"

urlpatterns = [
    path("signals/", views.SignalList.as_view(), name="signal_list"),
    path("signals/<slug:number>/", views.SignalDetail.as_view(), name="signal_detail"),
    path("signals/<slug:number>/route/", views.SignalRoute.as_view(), name="signal_route"),
    path("signals/<slug:number>/assign/", views.SignalAssign.as_view(), name="signal_assign"),
    path(
        "signals/<slug:number>/transition/",
        views.SignalTransition.as_view(),
        name="signal_transition",
    ),
    path("signals/<slug:number>/replies/", views.SignalReplies.as_view(), name="signal_replies"),
    path(
        "signals/<slug:number>/replies/<int:reply_id>/review/",
        views.ReplyReview.as_view(),
        name="reply_review",
    ),
    path("signals/<slug:number>/notes/", views.SignalNotes.as_view(), name="signal_notes"),
    path("signals/<slug:number>/actions/", views.SignalActions.as_view(), name="signal_actions"),
    path(
        "signals/<slug:number>/actions/<slug:name>/",
        views.SignalActionByName.as_view(),
        name="signal_action",
    ),
    path("regions/", reference.RegionList.as_view(), name="region_list"),
    path("municipalities/", reference.MunicipalityList.as_view(), name="municipality_list"),
    path("agencies/", reference.AgencyList.as_view(), name="agency_list"),
    path("categories/", reference.CategoryList.as_view(), name="category_list"),
    path("statuses/", reference.StatusList.as_view(), name="status_list"),
    path("reports/", reports.ReportList.as_view(), name="report_list"),
    path("reports/<int:report_id>/", reports.ReportDetail.as_view(), name="report_detail"),
    path("reports/<int:report_id>/<str:kind>/", reports.ReportFile.as_view(), name="report_file"),
]
