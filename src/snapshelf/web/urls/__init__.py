"""URL patterns per UI area; names are global (no namespaces), prefixed by area where useful."""
