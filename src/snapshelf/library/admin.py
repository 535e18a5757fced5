from django.contrib import admin

from snapshelf.library.models import Link, Snapshot, Tag


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "visibility", "created"]
    list_filter = ["visibility", "unread", "favorite", "archived"]
    search_fields = ["url", "title"]
    raw_id_fields = ["owner", "latest_snapshot"]


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["id", "link", "version", "status", "error_code", "created"]
    list_filter = ["status", "kind", "mode"]
    raw_id_fields = ["link", "original_blob", "root_blob", "screenshot_blob", "pdf_blob"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "owner"]
    search_fields = ["name"]
