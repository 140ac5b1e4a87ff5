"""Signals from uploaded files (CSV or XLSX exports of other systems), read by the file
importer (`ingest.imports`), which serves every source's files."""

from django.utils.translation import gettext_lazy as _

from signals_app.channels.spec import ChannelSpec

SPEC = ChannelSpec(code="import", label=_("Import"), mark="⇪")
