"""The import page's form: a file, tags for every link, and whether to capture."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from snapshelf.library.records import clean_tag_names

#: larger than any bookmark export seen (100,000 bookmarks are ~15 MB)
MAX_UPLOAD_BYTES = 200 * 2**20


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "Bookmarks exported from a browser (HTML or JSON), or an export of Pocket, "
            "Pinboard, Instapaper, Delicious, Omnivore, Readability, wallabag, linkding or "
            "Shaarli, or a text file with one address a line. The format is recognised "
            "from the content."
        ),
    )
    tags = forms.CharField(label=_("Tags for every imported link"), required=False, max_length=500)
    capture = forms.BooleanField(
        label=_("Take a snapshot of each new link"),
        required=False,
        initial=True,
        help_text=_("Captures run after the links you add yourself."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB."), params={"mb": MAX_UPLOAD_BYTES >> 20}
            )
        return upload

    def clean_tags(self) -> list[str]:
        return clean_tag_names([self.cleaned_data.get("tags", "")])
