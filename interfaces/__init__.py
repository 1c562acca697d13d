"""Adapters: HTTP (FastAPI), CLI (Typer), workers (Dramatiq), and outbound ports' adapters."""
