"""The watch form of the link page: how often the link is re-captured to look for changes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from snapshelf.library.models import Link
from snapshelf.library.watch import MAX_HOURS, PRESETS


class WatchForm(forms.Form):
    every = forms.ChoiceField(
        label=_("Watch for changes"),
        choices=[
            ("off", _("Off")),
            ("daily", _("Daily")),
            ("weekly", _("Weekly")),
            ("custom", _("Every … hours")),
        ],
        help_text=_(
            "Snapshelf takes the page again on this schedule and keeps a new version "
            "only when its text changed."
        ),
    )
    hours = forms.IntegerField(label=_("Hours"), required=False, min_value=1, max_value=MAX_HOURS)

    @classmethod
    def for_link(cls, link: Link) -> WatchForm:
        hours = link.watch_hours
        every = next((name for name, h in PRESETS.items() if h == hours), "custom")
        return cls(initial={"every": every if hours else "off", "hours": hours or None})

    def clean(self) -> dict:
        data = super().clean()
        if data.get("every") == "custom" and not data.get("hours"):
            self.add_error("hours", _("Give the number of hours between checks."))
        return data

    @property
    def watch_hours(self) -> int:
        every = self.cleaned_data["every"]
        if every == "custom":
            return self.cleaned_data["hours"]
        return PRESETS.get(every, 0)
