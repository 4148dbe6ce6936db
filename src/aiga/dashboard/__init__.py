"""``aiga dashboard``: a local, read-only web app over run directories.

``server`` serves the pages and a small JSON API (standard library ``http.server``), ``runs`` reads run
directories without writing to them, ``pages`` is the registry of what each system's page draws and the
panel vocabulary, and ``page_<system>`` modules register the pages of POET (``page_poet``) and ``aiga es``
(``page_es``). See docs/dashboard.md.
"""
