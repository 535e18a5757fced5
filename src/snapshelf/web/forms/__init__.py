"""Django forms of the web UI, one module per area."""
