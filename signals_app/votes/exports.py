"""The results of a campaign as files, like the monthly report: an XLSX workbook (a sheet of
the municipalities, one of the objects) and a printable PDF."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from signals_app.spreadsheets import pdf_of, sheet_add
from signals_app.votes.models import Campaign
from signals_app.votes.selectors import results


def results_xlsx(campaign: Campaign) -> bytes:
    found = results(campaign)
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet_add(workbook, _("Municipalities"),
           [_("Municipality"), _("Population"), _("Voters"), _("Turnout, %"),
            _("Counted votes"), _("Annulled votes")],
           [[item.municipality.name, item.municipality.population, item.voters,
             float(item.turnout) if item.turnout is not None else None, item.counted,
             item.annulled] for item in found])  # fmt: skip
    sheet_add(workbook, _("Objects"),
           [_("Municipality"), _("Object"), _("Kind"), _("Counted votes"), _("Share, %"),
            _("Annulled votes"), _("Winner")],
           [[item.municipality.name, line.vote_object.name, line.vote_object.get_kind_display(),
             line.counted, float(line.share), line.annulled,
             _("yes") if line.vote_object.is_winner else ""]
            for item in found for line in item.lines])  # fmt: skip
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def results_print_html(campaign: Campaign) -> str:
    return render_to_string("votes/results_print.html", {
        "campaign": campaign, "results": results(campaign), "made_at": timezone.now(),
    })  # fmt: skip


def results_pdf(campaign: Campaign) -> bytes:
    return pdf_of(results_print_html(campaign))
