"""Answer templates: reusable reply texts, filled in from the signal."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from signals_app.errors import WorkflowError
from signals_app.models import AnswerTemplate, Category
from signals_app.ui import selectors as ui
from signals_app.ui import services
from signals_app.ui.views.saved import home_region


class AnswerTemplateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        required=False,
        label=gettext_lazy("Category"),
        empty_label=gettext_lazy("Any category"),
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "You may use {number}, {date}, {agency} and {address}: they are filled in from the "
            "signal."
        ),
    )
    is_shared = forms.BooleanField(
        label=gettext_lazy("Share with colleagues in the region"), required=False
    )

    def __init__(self, *args, region_id: int | None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ui.category_choices(region_id or 0)


@login_required
def answer_template_list(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """The user's answer templates (and those shared with them); create or edit one."""
    region = home_region(request.user)
    template = None
    if template_id is not None:
        template = AnswerTemplate.objects.filter(pk=template_id, owner=request.user).first()
        if template is None:
            raise Http404
    initial = (
        {"title": template.title, "category": template.category_id, "text": template.text,
         "is_shared": template.is_shared}
        if template else None
    )  # fmt: skip
    form = AnswerTemplateForm(request.POST or None, initial=initial, region_id=region and region.pk)
    if request.method == "POST":
        if region is None:
            messages.error(request, _("Templates belong to a region; you do not work in one."))
        elif request.POST.get("delete") and template is not None:
            services.answer_template_delete(template=template, actor=request.user)
            messages.success(request, _("Template deleted."))
            return redirect("signals_app:answer_template_list")
        elif form.is_valid():
            try:
                services.answer_template_save(
                    owner=request.user, region=region, template=template, **form.cleaned_data
                )
            except WorkflowError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Template saved."))
                return redirect("signals_app:answer_template_list")
    templates = ui.answer_templates_for(user=request.user)
    return TemplateResponse(
        request,
        "signals_app/answer_templates.html",
        {"form": form, "templates": templates, "editing": template},
        status=400 if request.method == "POST" else 200,
    )
