"""Persistence: the schema (SQLAlchemy rows and Alembic migrations), repositories that
speak plain SQL through the DB-API, and the unit of work.

Owns every SQL detail. Domain objects never see a connection; rows never leave here.
"""
