"""The edit form of the link page: title, tags, note, flags and visibility in one POST."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from snapshelf.library.models import Link
from snapshelf.library.records import clean_tag_names
from snapshelf.services.links import LinkChanges

#: One line of help per visibility, shown under the select.
VISIBILITY_HELP = {
    Link.Visibility.PRIVATE: _("Only you can see it."),
    Link.Visibility.UNLISTED: _(
        "Anyone with its address can see it; it is not listed on your profile."
    ),
    Link.Visibility.PUBLIC: _("Listed on your public profile for everyone."),
}


class LinkEditForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=500,
        required=False,
        help_text=_("Leave empty to use the captured title."),
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=5000,
        help_text=_("Comma separated."),
        widget=forms.TextInput(attrs={"list": "tag-names", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=100_000,
        help_text=_("Markdown: *emphasis*, **bold**, [links](https://…), lists."),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    unread = forms.BooleanField(label=_("Unread"), required=False)
    favorite = forms.BooleanField(label=_("Favourite"), required=False)
    archived = forms.BooleanField(label=_("Archived"), required=False)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Link.Visibility.choices)
    capture_mode = forms.ChoiceField(
        label=_("Capture"),
        required=False,
        choices=Link._meta.get_field("capture_mode").choices,
        help_text=_("Automatic uses a headless browser only for pages that need JavaScript."),
    )

    @classmethod
    def for_link(cls, link: Link, tag_names: list[str]) -> LinkEditForm:
        """The form filled with the link's current values."""
        return cls(
            initial={
                "title": link.title,
                "tags": ", ".join(tag_names),
                "note": link.note,
                "unread": link.unread,
                "favorite": link.favorite,
                "archived": link.archived,
                "visibility": link.visibility,
                "capture_mode": link.capture_mode,
            }
        )

    def changes(self) -> LinkChanges:
        """The valid form as the service door's edit (an empty capture mode keeps it)."""
        data = self.cleaned_data
        return LinkChanges(
            title=data["title"],
            note=data["note"],
            tags=data["tags"],
            unread=data["unread"],
            favorite=data["favorite"],
            archived=data["archived"],
            visibility=data["visibility"],
            capture_mode=data["capture_mode"] or None,
        )

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data.get("title", "").split())

    def clean_tags(self) -> list[str]:
        return clean_tag_names([self.cleaned_data.get("tags", "")])
