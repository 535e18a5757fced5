from django.contrib import admin

from snapshelf.accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["nickname", "user", "language", "public_profile"]
    search_fields = ["nickname", "user__username"]
