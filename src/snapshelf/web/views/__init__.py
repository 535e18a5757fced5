"""Views, one module per area of the UI (library, links, tags, accounts, public, replay)."""
