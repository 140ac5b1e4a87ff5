from django.urls import path

from signals_app import views

app_name = "signals_app"

urlpatterns = [
    path("", views.signal_list, name="signal_list"),
]
