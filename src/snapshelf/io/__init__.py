"""Bringing a library in and taking it out: importers, exporters, WARC.

Sits between the ways in (web, cli, api) and the service door: every imported row is
saved through `snapshelf.services`; exports read the owner's own rows only.
"""
