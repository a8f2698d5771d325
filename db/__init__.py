"""Database layer: models, sessions, migrations and the demo data generator."""
