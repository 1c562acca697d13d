"""Read-side queries: the SELECTs the API answers from the read-model tables, one module per
read model (`patients`, `orders`, `claims`, `work_queue`).

Each query is a function of a SQLAlchemy `Connection` and plain arguments (ids, the caller's
tenant, filters, a decoded keyset position) that answers rows or small dataclasses of rows. It
knows nothing of HTTP: the routes parse, authorise, call one query and shape the answer. Lists
page by keyset (`keyset.py`).
"""
