"""Staff help-desk service: ticket queue and staff page, live handoff, parent notifications, external help desk.

Run with `python -m helpdesk` (see docs/helpdesk.md); build the Sanic app with `helpdesk.app.create_app`.
"""
