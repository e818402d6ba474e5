"""The REST API: HTTP in, service calls, HTTP out. No rule lives here."""
