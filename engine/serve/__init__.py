"""Stage "serve": the ledger in a database, and "may P bill on D?" over HTTP.

`db init` creates and versions the schema (schema.py), `db load` brings a ledger
in through the same readers and checks as `evaluate` (load.py), and `serve`
answers from the database (service.py, over HTTP in http.py). One database
layer, SQLAlchemy Core, serves the embedded SQLite default and a bureau's
PostgreSQL alike (database.py); what is stored, and how a person's status spans
are kept in step with their events, is store.py's. docs/service.md documents
the API.
"""
