"""Operator admin: users with their Snapshelf profile inline, and profiles on their own."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from snapshelf.accounts.forms import RateLimitedAdminAuthenticationForm
from snapshelf.accounts.models import Profile

User = get_user_model()

# The admin's own log-in page counts failed attempts like the main one.
admin.site.login_form = RateLimitedAdminAuthenticationForm


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["nickname", "language"]
    extra = 0
    max_num = 1


class UserAdmin(DjangoUserAdmin):
    """Django's user admin plus the profile (nickname, language) on the same page."""

    inlines = [ProfileInline]
    list_display = ["username", "profile_nickname", "email", "is_staff", "is_active", "last_login"]
    list_select_related = ["profile"]
    search_fields = ["username", "email", "profile__nickname"]

    @admin.display(description="nickname", ordering="profile__nickname")
    def profile_nickname(self, obj) -> str:
        profile = getattr(obj, "profile", None)
        return profile.nickname if profile else ""


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserAdmin)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["nickname", "user", "language"]
    list_select_related = ["user"]
    search_fields = ["nickname", "user__username"]
    raw_id_fields = ["user"]
