from datetime import datetime

from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

_clock: list = []


@csrf_exempt
def clock(request):  # type: ignore[no-untyped-def]
    """The tests pin their own clock; the provider's follows it (its tokens' iat and exp)."""
    import time_machine

    while _clock:
        _clock.pop().stop()
    traveller = time_machine.travel(datetime.fromisoformat(request.POST["at"]), tick=True)
    traveller.start()
    _clock.append(traveller)
    return HttpResponse("ok")


urlpatterns = [
    path("clock/", clock),
    path("login/", LoginView.as_view(), name="login"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
