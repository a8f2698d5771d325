"""Alembic environment: migrate the engine given by the caller, else LOUNGE_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from db.models import Base
from db.session import make_engine
from lounge import settings

config = context.config
engine = config.attributes.get("engine") or make_engine(settings.load().database_url)


def run_migrations_online() -> None:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
