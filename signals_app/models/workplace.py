"""The analysts' own tools: answer templates and saved views of the queue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Region
from signals_app.models.reference import Category


class AnswerTemplate(models.Model):
    """A reusable reply text, owned by the user who wrote it, optionally shared in the region.

    The text may hold {number}, {date}, {agency} and {address}; they are filled in from the
    signal when the template is inserted into a reply.
    """

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="answer_templates",
        verbose_name=_("owner"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
        help_text=_("A topic covers its subtopics; empty means any category."),
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    is_shared = models.BooleanField(
        _("shared"), default=False, help_text=_("Colleagues in the region may use it.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("answer template")
        verbose_name_plural = _("answer templates")
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "title"], name="answer_template_unique_title"),
            models.CheckConstraint(condition=~Q(text=""), name="answer_template_text_not_empty"),
        ]
        indexes = [models.Index(fields=["region", "is_shared"], name="answer_template_region_idx")]

    def __str__(self) -> str:
        return self.title


class SavedView(models.Model):
    """A named queue filter (the query string of the list page), private or shared."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("A shared view is offered to the users of this region."),
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    is_shared = models.BooleanField(_("shared"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name"),
        ]
        indexes = [models.Index(fields=["region", "is_shared"], name="saved_view_region_idx")]

    def __str__(self) -> str:
        return self.name
