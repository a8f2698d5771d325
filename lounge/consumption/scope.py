"""Which of a customer's sites a cut covers, resolved through the access layer.

Every cut starts here, so a forged customer or site id is simply not found.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models import Site
from lounge import access
from lounge.access import Viewer


@dataclass(frozen=True)
class Selection:
    """Which of a customer's sites a cut covers: all (the default), one site, or a group.

    Pages build it from what the user picked; every cut resolves it again
    through the access layer, so a forged site id is simply not found.
    """

    site_id: str | None = None
    region: str | None = None
    site_type: str | None = None


WHOLE_CUSTOMER = Selection()


@dataclass(frozen=True)
class ScopeSite:
    site_id: str
    name: str
    region: str
    site_type: str | None


@dataclass(frozen=True)
class Scope:
    """A visible customer and the sites of a selection (by id)."""

    customer_id: str
    selection: Selection
    sites: tuple[ScopeSite, ...]

    @property
    def site_ids(self) -> list[str]:
        return [site.site_id for site in self.sites]

    def covers(self, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """``column IN (the scope's site ids)``, as a subquery: no limit on the site count."""
        sites = select(Site.id).where(*site_conditions(self.customer_id, self.selection))
        return column.in_(sites)


def site_conditions(customer_id: str, selection: Selection) -> list[ColumnElement[bool]]:
    conditions = [Site.customer_id == customer_id]
    if selection.site_id is not None:
        conditions.append(Site.id == selection.site_id)
    if selection.region is not None:
        conditions.append(Site.region == selection.region)
    if selection.site_type is not None:
        conditions.append(Site.site_type == selection.site_type)
    return conditions


def scope(
    session: Session, viewer: Viewer, customer_id: object, selection: Selection = WHOLE_CUSTOMER
) -> Scope:
    """Resolve a selection for the viewer.

    The customer must be visible (else :class:`access.NotFound`); a site id
    that is not one of its sites is not found either. A region or site type
    with no sites gives an empty scope: every cut of it is zero.
    """
    customer = access.get_customer(session, viewer, customer_id)
    for value in (selection.site_id, selection.region, selection.site_type):
        if value is not None and not isinstance(value, str):
            raise access.NotFound(value)
    rows = session.execute(
        select(Site.id, Site.name, Site.region, Site.site_type)
        .where(*site_conditions(customer.id, selection))
        .order_by(Site.id)
    ).all()
    if selection.site_id is not None and not rows:
        raise access.NotFound(selection.site_id)
    return Scope(customer.id, selection, tuple(ScopeSite(*row) for row in rows))


def site_id_of(value: object) -> str:
    """A site id from a page; anything else is not found."""
    if not isinstance(value, str) or not value:
        raise access.NotFound(value)
    return value


T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class ScopedCut(Protocol[T_co]):
    """A cut as callers call it: by viewer, customer, range and selection."""

    def __call__(
        self,
        session: Session,
        viewer: Viewer,
        customer_id: object,
        start: dt.date,
        end: dt.date,
        selection: Selection = ...,
    ) -> T_co: ...


def scoped(cut: Callable[[Session, Scope, dt.date, dt.date], T]) -> ScopedCut[T]:
    """A cut of a resolved scope over [start, end), callable with the viewer, the customer
    and a selection: :func:`scope` resolves them through the access layer first, so every
    cut checks access the same way and none can forget to."""

    @functools.wraps(cut)
    def resolved(
        session: Session,
        viewer: Viewer,
        customer_id: object,
        start: dt.date,
        end: dt.date,
        selection: Selection = WHOLE_CUSTOMER,
    ) -> T:
        return cut(session, scope(session, viewer, customer_id, selection), start, end)

    return resolved
