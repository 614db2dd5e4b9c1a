"""The dashboard's web side: date ranges (``ranges``), what each page shows (``views``), the
templates and browser behaviour (``pages``: landing page, docs, HTML errors, the login
redirect) and the static assets served from the packages (``assets``)."""
