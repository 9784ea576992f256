"""SQLAlchemy 2.0 persistence: typed rows, explicit mapping, repositories, unit of work.

Owns every SQL detail. Domain objects never see a Session; row classes never leave here.
"""
