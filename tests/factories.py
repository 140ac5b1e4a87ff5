"""factory_boy factories for the domain model."""

from __future__ import annotations

import factory
from django.utils import timezone

from agencies.models import Agency, Municipality, Region, User
from signals_app.choices import Channel
from signals_app.models import Category, Source
from signals_app.workflow.services import signal_create


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{10 + n % 89:02d}")
    name = factory.Sequence(lambda n: f"Регион {n}")
    time_zone = "Asia/Yekaterinburg"


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"Город {n}")
    kind = Municipality.Kind.CITY_DISTRICT
    oktmo = factory.Sequence(lambda n: f"{75700000 + n:08d}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"Ведомство {n}")
    kind = Agency.Kind.MUNICIPAL_ADMINISTRATION


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Тема {n}")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    region = factory.SubFactory(RegionFactory)
    slug = factory.Sequence(lambda n: f"source-{n}")
    name = factory.Sequence(lambda n: f"Источник {n}")
    channel = Channel.VK
    secret = "s3cret"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Иван"
    last_name = "Петров"
    password = factory.django.Password("pass-12345")


class SignalFactory(factory.Factory):
    """Signals are made by the service that assigns numbers and writes the first event."""

    class Meta:
        model = dict

    region = factory.SubFactory(RegionFactory)
    channel = Channel.VK
    text = factory.Sequence(lambda n: f"Нет горячей воды в доме {n}, ул. Ленина")
    received_at = factory.LazyFunction(timezone.now)
    external_id = factory.Sequence(lambda n: f"ext-{n}")

    @classmethod
    def _create(cls, model_class, **kwargs):
        return signal_create(**kwargs)

    _build = _create
