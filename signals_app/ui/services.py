"""Writes of the case-management pages that are not the workflow: saved views, answer templates.

Each belongs to the user who made it; only the owner changes or deletes it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from agencies.models import Region, User
from signals_app.errors import ActionForbidden, InvalidInput
from signals_app.models import AnswerTemplate, Category, SavedView


@transaction.atomic
def saved_view_save(
    *, owner: User, name: str, query: str, is_shared: bool, region: Region | None
) -> SavedView:
    """Save the current filters under a name; the same name again replaces its filters."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the view a name."))
    if len(name) > 100 or len(query) > 2000:
        raise InvalidInput(_("The name or the filters are too long."))
    if is_shared and region is None:
        raise InvalidInput(_("A view can be shared only by a user who works in a region."))
    view, _created = SavedView.objects.update_or_create(
        owner=owner,
        name=name,
        defaults={"query": query, "is_shared": is_shared, "region": region},
    )
    return view


def _own(obj: SavedView | AnswerTemplate, actor: User) -> None:
    if obj.owner_id != actor.pk:
        raise ActionForbidden(_("Only its owner may change this."))


@transaction.atomic
def saved_view_share(*, view: SavedView, is_shared: bool, actor: User) -> SavedView:
    _own(view, actor)
    if is_shared and view.region_id is None:
        raise InvalidInput(_("A view can be shared only by a user who works in a region."))
    view.is_shared = is_shared
    view.save(update_fields=["is_shared"])
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: User) -> None:
    _own(view, actor)
    view.delete()


@transaction.atomic
def answer_template_save(
    *,
    owner: User,
    region: Region,
    title: str,
    text: str,
    category: Category | None,
    is_shared: bool,
    template: AnswerTemplate | None = None,
) -> AnswerTemplate:
    """Create a template, or change one the actor owns."""
    title, text = (title or "").strip(), (text or "").strip()
    if not title or not text:
        raise InvalidInput(_("A template needs a title and a text."))
    if category is not None and category.region_id != region.pk:
        raise InvalidInput(_("The category belongs to another region."))
    duplicate = AnswerTemplate.objects.filter(owner=owner, title=title)
    if template is not None:
        _own(template, owner)
        duplicate = duplicate.exclude(pk=template.pk)
    if duplicate.exists():
        raise InvalidInput(_("You already have a template with this title."))
    if template is None:
        template = AnswerTemplate(owner=owner)
    template.region, template.title, template.text = region, title, text
    template.category, template.is_shared = category, is_shared
    template.save()
    return template


@transaction.atomic
def answer_template_delete(*, template: AnswerTemplate, actor: User) -> None:
    _own(template, actor)
    template.delete()
