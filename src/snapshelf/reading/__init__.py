"""Reading: what a reader keeps of an article (highlights and their notes)."""
