"""Forms of the library page: the add box and the bulk action bar."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from snapshelf.capture.normalize import normalize_url
from snapshelf.errors import ForbiddenURL, InvalidURL
from snapshelf.library.records import clean_tag_names
from snapshelf.services.bulk import ACTIONS
from snapshelf.services.links import check_destination

BULK_LABELS = {
    "add_tags": _("Add tags"),
    "remove_tags": _("Remove tags"),
    "mark_read": _("Mark read"),
    "mark_unread": _("Mark unread"),
    "favorite": _("Favourite"),
    "unfavorite": _("Unfavourite"),
    "archive": _("Archive"),
    "unarchive": _("Unarchive"),
    "make_public": _("Make public"),
    "make_unlisted": _("Make unlisted"),
    "make_private": _("Make private"),
    "resnapshot": _("Snapshot again"),
    "delete": _("Delete"),
}


class AddLinkForm(forms.Form):
    url = forms.CharField(
        label=_("Address"),
        max_length=4000,
        widget=forms.TextInput(
            attrs={"placeholder": _("https://…"), "autocomplete": "off", "inputmode": "url"}
        ),
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("tags, comma separated"),
                "autocomplete": "off",
                "list": "add-tag-options",
                "hx-get": reverse_lazy("tag-suggest"),
                "hx-params": "tags",
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#add-tag-options",
                "hx-sync": "this:replace",
            }
        ),
    )

    def clean_url(self) -> str:
        raw = self.cleaned_data["url"].strip()
        scheme = urlsplit(raw).scheme.lower() if "://" in raw or ":" in raw.split("/")[0] else ""
        if scheme and scheme not in ("http", "https"):
            raise forms.ValidationError(_("Only http and https links can be saved."))
        try:
            normalize_url(raw)
        except InvalidURL:
            raise forms.ValidationError(
                _("Enter a valid web address, such as https://example.org/.")
            ) from None
        return raw

    def clean_tags(self) -> list[str]:
        return clean_tag_names([self.cleaned_data.get("tags", "")])

    def clean(self) -> dict:
        """A destination the egress guard forbids is refused now, not by the worker later
        (not for a page the user's browser sends: that page may be an intranet's)."""
        cleaned = super().clean()
        url = cleaned.get("url")
        if url and not cleaned.get("html"):
            try:
                check_destination(url)
            except ForbiddenURL as exc:
                self.add_error("url", str(exc))
        return cleaned


class BulkForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=[(a, BULK_LABELS[a]) for a in ACTIONS])
    ids = forms.TypedMultipleChoiceField(coerce=int, required=True, label=_("Links"))
    tags = forms.CharField(label=_("Tags"), required=False)
    confirm = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # ids are checked against the owner in bulk.apply; here only their shape matters
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()  # type: ignore[attr-defined]
        self.fields["ids"].error_messages["required"] = _("Select at least one link.")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") in ("add_tags", "remove_tags"):
            data["tags"] = clean_tag_names([data.get("tags", "")])
            if not data["tags"]:
                self.add_error("tags", _("Enter at least one tag."))
        return data
