"""Reference data, read-only: what the user's regions hold (regions, municipalities, agencies,
categories) and the statuses of the workflow."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Agency, Municipality, Region, User
from agencies.selectors import staff_context
from signals_app.api.views import ApiView, errors
from signals_app.choices import OPEN_STATUSES, Status
from signals_app.models import Category


def regions_for(user: User) -> QuerySet[Region]:
    """The centre's regions of the user, or the regions of their agencies (all for admins)."""
    context = staff_context(user=user)
    if context.is_superuser:
        return Region.objects.all()
    agency_regions = Agency.objects.filter(pk__in=context.agency_ids).values("region_id")
    return Region.objects.filter(pk__in=list(context.region_ids)) | Region.objects.filter(
        pk__in=agency_regions
    )


class RegionOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    time_zone = serializers.CharField()


class MunicipalityOut(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.IntegerField(source="region_id")
    name = serializers.CharField()
    kind = serializers.CharField()
    oktmo = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)


class AgencyOut(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.IntegerField(source="region_id")
    name = serializers.CharField()
    short_name = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    municipality = serializers.IntegerField(source="municipality_id", allow_null=True)
    is_active = serializers.BooleanField()


class CategoryOut(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.IntegerField(source="region_id")
    code = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    is_active = serializers.BooleanField()


class StatusOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    is_open = serializers.BooleanField()


REGION_PARAM = OpenApiParameter(
    "region", int, description="Only this region (its id).", required=False
)


class ReferenceList(ApiView):
    """A small list scoped to the user's regions, optionally to one of them (`?region=`)."""

    model: type
    out: type[serializers.Serializer]
    order: tuple[str, ...] = ("name",)

    def get(self, request: Request) -> Response:
        regions = regions_for(request.user).values("pk")
        rows = self.model.objects.filter(region_id__in=regions).order_by(*self.order, "pk")
        chosen = request.query_params.get("region", "")
        if chosen:
            if not chosen.isdigit():
                raise serializers.ValidationError({"region": [_("A region id is a number.")]})
            rows = rows.filter(region_id=int(chosen))
        return Response(self.out(rows, many=True).data)


def _reference(model: type, out: type[serializers.Serializer], summary: str):  # type: ignore[no-untyped-def]
    view = type(
        f"{model.__name__}List",
        (ReferenceList,),
        {"model": model, "out": out, "__doc__": summary},
    )
    return extend_schema(
        tags=["reference"], summary=summary, parameters=[REGION_PARAM],
        responses={200: out(many=True), **errors(400, 401, 429)},
    )(view)  # fmt: skip


MunicipalityList = _reference(Municipality, MunicipalityOut, "Municipalities")
AgencyList = _reference(Agency, AgencyOut, "Agencies")
CategoryList = _reference(Category, CategoryOut, "Categories (topics and subtopics)")


@extend_schema(
    tags=["reference"], summary="Regions of the user",
    responses={200: RegionOut(many=True), **errors(401, 429)},
)  # fmt: skip
class RegionList(ApiView):
    def get(self, request: Request) -> Response:
        return Response(RegionOut(regions_for(request.user).order_by("code"), many=True).data)


@extend_schema(
    tags=["reference"], summary="Statuses of the workflow",
    responses={200: StatusOut(many=True), **errors(401, 429)},
)  # fmt: skip
class StatusList(ApiView):
    def get(self, request: Request) -> Response:
        rows = [
            {"code": value, "label": str(label), "is_open": value in OPEN_STATUSES}
            for value, label in Status.choices
        ]
        return Response(StatusOut(rows, many=True).data)
