"""The export page's form: which format, and the whole library or one tag."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from snapshelf.library.models import Tag

FORMAT_CHOICES = [
    ("netscape", _("Bookmarks (HTML): for browsers and bookmark services")),
    ("json", _("JSON: everything, for programs and a later import")),
    ("csv", _("CSV: a spreadsheet, one row per link")),
    ("zip", _("ZIP: every archived page as one HTML file, with its reader text")),
    ("warc", _("WARC: the web archive standard, for replay tools")),
    ("epub", _("EPUB: an e-book of the reader text, with its images, for e-readers")),
]


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"), choices=FORMAT_CHOICES, widget=forms.RadioSelect, initial="netscape"
    )
    tag = forms.ModelChoiceField(
        label=_("Links"),
        queryset=Tag.objects.none(),
        required=False,
        empty_label=_("The whole library"),
    )

    def __init__(self, *args, owner: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # only the owner's tags can be picked: another user's tag id is "not a choice"
        self.fields["tag"].queryset = Tag.objects.filter(owner=owner).order_by("name")
