"""Forms of the account pages: sign-up, profile and the bookmarklet (the rate-limited
log-in form is the accounts app's, shared with the admin)."""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from snapshelf.accounts.models import Profile
from snapshelf.web.forms.library import AddLinkForm

#: Letters of any script (CJK included), digits, "_" and "-"; 2 to 40 characters.
NICKNAME_RE = re.compile(r"^[\w-]{2,40}$")
TITLE_CHARS = 500


def clean_nickname(value: str, *, user=None) -> str:
    """Validate a nickname and check it is free (case-insensitively) for `user`."""
    nickname = unicodedata.normalize("NFC", value.strip())
    if not NICKNAME_RE.fullmatch(nickname):
        raise forms.ValidationError(
            _("Use 2 to 40 letters, digits, underscores or hyphens."), code="invalid"
        )
    taken = Profile.objects.filter(nickname__iexact=nickname)
    if user is not None and user.pk is not None:
        taken = taken.exclude(user=user)
    if taken.exists():
        raise forms.ValidationError(_("This nickname is already taken."), code="taken")
    return nickname


class SignupForm(UserCreationForm):
    """Username and password (Django's validators) plus an optional nickname."""

    nickname = forms.CharField(
        label=_("Nickname"),
        required=False,
        max_length=40,
        help_text=_("Shown on your public pages. Leave blank to get one made up for you."),
    )

    def clean_nickname(self) -> str:
        value = self.cleaned_data.get("nickname", "")
        return clean_nickname(value) if value.strip() else ""

    def save(self, commit: bool = True):
        user = super().save(commit=commit)
        nickname = self.cleaned_data.get("nickname")
        if commit and nickname:
            Profile.objects.filter(user=user).update(nickname=nickname)
        return user


def language_choices() -> list[tuple[str, str]]:
    return [("", _("Browser default")), *settings.LANGUAGES]


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), required=False, choices=language_choices)

    class Meta:
        model = Profile
        fields = ["nickname", "language"]
        labels = {"nickname": _("Nickname")}
        help_texts = {"nickname": _("Your public pages live at /u/<nickname>/.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The model's callable default would add a hidden "initial-nickname" input.
        self.fields["nickname"].show_hidden_initial = False

    def clean_nickname(self) -> str:
        return clean_nickname(self.cleaned_data.get("nickname", ""), user=self.instance.user)

    def save(self, commit: bool = True) -> Profile:
        # ModelForm keeps the old value of an omitted field that has a model default;
        # an absent language means "Browser default", not "unchanged".
        self.instance.language = self.cleaned_data.get("language") or ""
        return super().save(commit=commit)


class BookmarkletSaveForm(AddLinkForm):
    """The add-link form (same URL checks) plus the page title the bookmarklet sends."""

    title = forms.CharField(label=_("Title"), required=False)

    field_order = ["url", "title", "tags"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Address and title arrive filled in; tags are what the user types next.
        self.fields["tags"].widget.attrs["autofocus"] = True

    def clean_title(self) -> str:
        """Whitespace collapsed and cut to Link.title's length (page titles can be long)."""
        return " ".join(self.cleaned_data.get("title", "").split())[:TITLE_CHARS]


class PageSaveForm(BookmarkletSaveForm):
    """The bookmarklet form plus the page's HTML as the user's browser shows it."""

    html = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)

    def clean_html(self) -> bytes:
        html = self.cleaned_data.get("html", "")
        data = html.encode("utf-8")
        limit = settings.SNAPSHELF_CAPTURE["max_document_bytes"]
        if len(data) > limit:
            raise forms.ValidationError(
                _("The page is too large to save (%(size)d MB; the limit is %(limit)d MB).")
                % {"size": len(data) // 2**20, "limit": limit // 2**20}
            )
        return data
