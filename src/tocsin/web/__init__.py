"""The web side: public pages, the JSON API and open data (FastAPI + Jinja2, server-rendered)."""
