"""Configuration: the files the lounge creates for itself are its owner's alone."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from db.session import make_engine
from lounge import settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask():
    """A umask that lets everyone read: the modes must not depend on the caller's."""
    import os

    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_generated_secret_key_is_owner_only_in_an_owner_only_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    instance = tmp_path / "instance"
    monkeypatch.setattr(settings, "INSTANCE", instance)
    monkeypatch.delenv("LOUNGE_SECRET_KEY", raising=False)

    key = settings.load().secret_key

    assert (mode(instance), mode(instance / "secret_key")) == (0o700, 0o600)
    assert len(key) == 64
    assert settings.load().secret_key == key  # generated once, then kept


def test_the_sqlite_database_file_is_owner_only_in_an_owner_only_folder(tmp_path: Path):
    path = tmp_path / "instance" / "lounge.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.commit()
    engine.dispose()

    assert (mode(path.parent), mode(path)) == (0o700, 0o600)


def test_regions_come_from_the_setting_else_the_demo_regions(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LOUNGE_REGIONS", raising=False)
    assert settings.configured_regions() == settings.DEFAULT_REGIONS
    monkeypatch.setenv("LOUNGE_REGIONS", " North , Eilat,, ")
    assert settings.configured_regions() == ("North", "Eilat")
