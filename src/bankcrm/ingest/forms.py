from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from bankcrm.ingest.specs import KINDS


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=[(k, k) for k in KINDS])
    file = forms.FileField(label=_("File (CSV, gzip or Parquet)"))
    mapping = forms.FileField(label=_("Mapping (TOML, optional)"), required=False)
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=[("auto", _("Detect")), ("utf-8", "UTF-8"), ("gb18030", "GB18030")],
        initial="auto",
    )
    dry_run = forms.BooleanField(label=_("Dry run: validate only"), required=False)
    max_errors = forms.IntegerField(
        label=_("Rows that may be rejected while the rest lands"),
        min_value=0,
        initial=0,
        help_text=_("0: the file lands whole or not at all."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.BANKCRM_IMPORT_MAX_UPLOAD
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s; import it with `bankcrm import` instead.")
                % {"limit": filesizeformat(limit)}
            )
        return upload
