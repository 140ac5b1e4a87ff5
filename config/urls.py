"""Top-level URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import views
from signals_app import channels
from signals_app.api import tokens
from signals_app.ui.views import citizen as citizen_views
from signals_app.ui.views import votes_public, votes_staff

admin.site.site_header = _("CUR back office: administration")
admin.site.site_title = _("CUR back office")
admin.site.index_title = _("Reference data")

urlpatterns = [
    path("favicon.ico", views.favicon),
    path("", RedirectView.as_view(pattern_name="signals_app:signal_list"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz/", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("signals/", include("signals_app.urls")),
    path("reports/", include("reports.urls")),
    # The citizen's status page of a signal: its number and its unguessable key.
    path("s/<slug:number>/<uuid:key>/", citizen_views.citizen_status, name="citizen_status"),
    path("news/stop/<str:token>/", citizen_views.citizen_news_stop, name="citizen_news_stop"),
    # Every channel's webhook or form (each channel package's `intake.urlpatterns`).
    *channels.intake_urlpatterns(),
    # «Высказать мнение»: the residents' vote (public pages).
    *votes_public.urlpatterns,
    *votes_staff.urlpatterns,
    path("api/v1/", include("config.api_urls")),
    path("api/tokens/", tokens.token_list, name="api_tokens"),
    path("api/tokens/<int:token_id>/revoke/", tokens.token_revoke, name="api_token_revoke"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api_schema"),
        name="api_docs",
    ),
]

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
