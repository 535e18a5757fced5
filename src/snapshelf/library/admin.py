"""Operator admin for the library. Raw-id widgets everywhere: tables grow to 100,000s of rows."""

from django.contrib import admin

from snapshelf.library.models import Link, Snapshot, Tag

#: Captured text and HTML: shown read-only, never edited by hand.
SNAPSHOT_HEAVY = [
    "text",
    "readable_html",
    "markdown",
    "timings",
    "fingerprint",
    "word_count",
    "total_bytes",
    "resource_count",
]


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = ["title", "url", "owner", "visibility", "created"]
    list_display_links = ["title", "url"]
    list_filter = ["visibility", "unread", "favorite", "archived", "created"]
    list_select_related = ["owner"]
    search_fields = ["url", "title", "owner__username"]
    raw_id_fields = ["owner", "latest_snapshot", "tags"]
    readonly_fields = ["url_normalized", "url_hash", "sort_title", "created", "updated"]
    date_hierarchy = "created"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # links come from the app, CLI or import (normalised URL and hash)


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["id", "link", "version", "status", "kind", "error_code", "created"]
    list_filter = ["status", "kind", "mode"]
    list_select_related = ["link"]
    search_fields = ["link__url", "title", "final_url"]
    raw_id_fields = ["link", "original_blob", "root_blob", "screenshot_blob", "pdf_blob"]
    readonly_fields = SNAPSHOT_HEAVY
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # snapshots are made by captures

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            return qs.defer(*SNAPSHOT_HEAVY)
        return qs


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
