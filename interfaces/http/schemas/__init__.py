"""Request and response bodies of the HTTP API, one module per resource (its routes are in
interfaces/http/routes/ under the same name)."""
