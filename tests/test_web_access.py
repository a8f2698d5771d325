"""Every callback is an endpoint: call each one as another customer, with forged ids.

The table SCENARIOS holds, for every callback of the app, a forged call and
what must (not) come back; a test fails when a callback has no scenario, so a
new callback cannot ship without its access test.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import func, select

from db.models import (
    AuditLog,
    BandSplit,
    ClassificationRun,
    Customer,
    InvoiceLine,
    Notice,
    NoticeKind,
    NoticeState,
    NoticeTarget,
    Payment,
    User,
)
from lounge import i18n, localtime, settings, users
from lounge.access import AccessDenied
from lounge.i18n import format_month
from lounge.web import jobs
from tests.factories import csv_bytes, import_bytes
from tests.web_fixtures import PASSWORD, call, dependencies, earlier_invoice, sign_in

ROUTER = ".._pages_content.children..._pages_store.data.."
CHART = "..overview-chart.figure...overview-chart-note.children.."
ADD_USER = "..admin-user-result.children...admin-users.rowData.."
IMPORT = "..admin-import-result.children...admin-upload.contents.."
#: Outputs that other callbacks share carry Dash's hash of the callback's inputs.
OPEN_MESSAGE = (
    "shell-bell-count.children@7f007984dc4fa36d0d037854c7a5e61b6425fbf29975f2b7ff7c146cfc7e0e60"
)
READ_ALL = (
    "..shell-bell-count.children@799db87d19d5ae08514622a71e17dd116c1f8d8ce406b66ac1a7321399143513"
    "...inbox-read-all.disabled.."
)
CONTACT_FORM = (
    "..contact-modal.is_open...contact-editing.data...contact-name.value...contact-role.value"
    "...contact-email.value...contact-phone.value...contact-address.value"
    "...contact-language.value...contact-channels-membership.value"
    "...contact-channels-warnings.value...contact-channels-outages.value"
    "...contact-channels-service.value...contact-delete.disabled...contact-problems.children.."
)
MESSAGE_DETAIL = "..message-modal.is_open...message-title.children...message-body.children.."
CONTACT_SAVE = (
    "..contacts-grid.rowData"
    "...contact-modal.is_open@d5873b02f6ba1bf0ef4a6fa48837a59e6e589d9bbd1d1abd810d743e7f43f453"
    "...contact-problems.children@d5873b02f6ba1bf0ef4a6fa48837a59e6e589d9bbd1d1abd810d743e7f43f453.."
)
CLASSIFY = "admin-classify-result.children"
VENS_DECIDE = "..vens-box.children...vens-feedback.children.."
CUT = "consumption-content.children"
REPORT = "..reports-result.children...reports-downloads.children.."
REQUEST_FIELDS = (
    "..requests-new-subtype.options...requests-new-subtype.value...requests-new-subtype-row.style"
    "...requests-new-site-row.style...requests-new-contract-row.style"
    "...requests-new-invoice-row.style...requests-new-address-row.style"
    "...requests-new-capacity-row.style.."
)
REQUEST_CHOICES = (
    "..requests-new-site.options...requests-new-contract.options...requests-new-invoice.options.."
)
REQUEST_SEND = "..requests-go.href...requests-new-problems.children.."
REQUEST_ACT = (
    "..request-status.children...request-live.children...request-files-box.children"
    "...request-state.options...request-state.value...request-move-box.style"
    "...request-comment-box.style...request-note.value...request-comment.value"
    "...request-feedback.children.."
)
#: A forged new request: for the other customer, at its site.
FORGED_REQUEST = {
    "requests-new-customer.value": "CB",
    "requests-new-kind.value": "fault",
    "requests-new-subtype.value": "no_supply",
    "requests-new-subject.value": "Forged",
    "requests-new-description.value": "",
    "requests-new-site.value": "SB1",
}
PDF_UPLOAD = "data:application/pdf;base64," + base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
DEMAND_FORM_FIELDS = (
    "demand-kind",
    "demand-level",
    "demand-reason",
    "demand-start",
    "demand-end",
    "demand-kw",
    "demand-pct",
    "demand-note",
    "demand-regions",
    "demand-sites",
    "demand-segments",
    "demand-types",
    "demand-members",
)
DEMAND_LOAD = ".." + "...".join(f"{name}.value" for name in DEMAND_FORM_FIELDS) + ".."
DEMAND_SHOW = "..demand-list.rowData...demand-detail.children...demand-acks.children.."
DEMAND_SAVE = "..demand-pick.options...demand-pick.value...demand-save-feedback.children.."
DEMAND_ACT = "..demand-acted.data...demand-act-feedback.children.."
#: A notice for the other customer's region, with its site named.
DEMAND_FORM = {
    "demand-kind.value": "peak_warning",
    "demand-level.value": 2,
    "demand-reason.value": "heat",
    "demand-start.value": "2030-07-14 14:00",
    "demand-end.value": "2030-07-14 18:00",
    "demand-regions.value": ["South"],
    "demand-sites.value": "SB1",
}
NOTICE_ACK = '{"index":["MATCH"],"type":"notices-ack-status"}.children'
SURVEY_SEND = '{"index":["MATCH"],"type":"surveys-status"}.children'
SURVEY_FOLLOW_UP = '{"index":["MATCH"],"type":"survey-follow-up-status"}.children'
PAY = (
    "..billing-pay-result.children...billing-key.data...billing-card.value...billing-cvc.value"
    "...billing-invoices.rowData...billing-payments.rowData...billing-kpis.children"
    "...billing-aging-box.children.."
)
BILL_CONTRACT = (
    "..billcmp-first.options...billcmp-first.value...billcmp-second.options"
    "...billcmp-second.value.."
)
MEETING_FIELDS = ("day", "time", "place", "link", "contacts", "theirs", "ours", "agenda")
MEETINGS_OPEN = (
    "..meetings-go.href...meetings-form.is_open...meetings-customer.data"
    "...meetings-form-title.children...meetings-contacts.options..."
    + "...".join(f"meetings-{name}.value" for name in MEETING_FIELDS)
    + "...meetings-problems.children.."
)
MEETINGS_SCHEDULE = (
    "..meetings-go.href@4e10e832e89faca99c6c686cb0c4992233b11bb7151b740ee6abad22c4b2be91"
    "...meetings-problems.children@4e10e832e89faca99c6c686cb0c4992233b11bb7151b740ee6abad22c4b2be91.."
)
MEETING_SAVE = "..meeting-result.children...meeting-state.children.."
MEETING_ADD = (
    "..meeting-done.options...meeting-done.value...meeting-action-problems.children"
    "...meeting-action-text.value.."
)
MEETING_TICK = (
    "meeting-done.options@728cd6694e5edcc6841d112b9884b2597d75cd72544b491b15263876bdfcdb97"
)
#: A forged meeting form: a working day far ahead, a meeting of another customer (aimed at a
#: real one in test_forged_meeting_calls_change_nothing_of_another_customer).
MEETING_FORM = {
    "meeting-id.data": 1,
    "meeting-day.value": "2030-01-06",
    "meeting-time.value": "10:00",
    "meeting-duration.value": "60",
    "meeting-place.value": "Mole's den",
    "meeting-link.value": "",
    "meeting-contacts.value": [],
    "meeting-theirs.value": "",
    "meeting-ours.value": "",
    "meeting-agenda.value": "",
    "meeting-minutes.value": "forged minutes",
}
NOTE_ADD = "..customer-notes.children...customer-note-text.value...customer-note-result.children.."
REASSIGN = (
    "..customer-history.children...customer-manager-name.children"
    "...customer-reassign-result.children.."
)
CARD = {
    "billing-card.value": "4242 4242 4242 4242",
    "billing-expiry.value": "12/39",
    "billing-cvc.value": "123",
    "billing-amount.value": "1180.00",
    "billing-key.data": "forged-key-0000000001",
}


def _upload(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


def _page(client, path: str, search: str = "") -> str:
    response = call(
        client,
        ROUTER,
        {"_pages_location.pathname": path, "_pages_location.search": search},
        triggered="_pages_location.pathname",
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _values(array: object) -> np.ndarray:
    """Plotly sends numeric arrays as base64 typed arrays."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array, dtype=float)


def _import_args(kind: str, filename: str, text: str) -> tuple[dict, dict]:
    """Inputs and state of an upload of ``text`` as a ``kind`` file on the admin page."""
    return (
        {"admin-upload.contents": _upload(text)},
        {"admin-upload.filename": filename, "admin-import-kind.value": kind},
    )


def _import(client, kind: str, filename: str, text: str):
    return call(client, IMPORT, *_import_args(kind, filename, text))


def _classify_args(as_of: str) -> tuple[dict, dict]:
    return {"admin-classify.n_clicks": 1}, {"admin-as-of.date": as_of}


def _classify(client, as_of: str):
    return call(client, CLASSIFY, *_classify_args(as_of))


def _cut_args(
    tab: str,
    customer: object,
    scope: str = "all",
    first: str = "2025-01",
    last: str = "2025-12",
    period: str = "month",
) -> tuple[dict, dict]:
    """Inputs and state of the consumption page's cut ``tab`` of ``customer``'s ``scope``."""
    return (
        {
            "consumption-tabs.active_tab": tab,
            "consumption-scope.value": scope,
            "consumption-from.value": first,
            "consumption-to.value": last,
            "consumption-period.value": period,
        },
        {"consumption-customer.data": customer},
    )


def _cut(client, tab: str, customer: object, *args: str):
    return call(client, CUT, *_cut_args(tab, customer, *args))


def _report_args(kind: str, customer: str, first: str, last: str, group: str):
    return (
        {"reports-show.n_clicks": 1, "reports-kind.value": kind},
        {
            "reports-customer.data": customer,
            "reports-from.value": first,
            "reports-to.value": last,
            "reports-group.value": group,
        },
    )


def _pay(client, invoice: object, clicks: int = 1):
    """The pay button pressed with ``invoice`` selected and the sandbox's good card."""
    rows = [{"id": invoice, "open": 1180}]
    return call(
        client,
        PAY,
        {"billing-pay.n_clicks": clicks},
        {**CARD, "billing-invoices.selectedRows": rows},
    )


def _count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


# output -> (inputs, state) forged by client@a.test against customer CB / its site SB1
SCENARIOS = {
    CHART: ({"overview-site.value": "SB1"}, {"overview-customer.data": "CB"}),
    "regions-sites.rowData": ({"regions-filter.value": "South"}, {}),
    "portfolio-grid.dashGridOptions": ({"portfolio-search.value": "Zebra"}, {}),
    "contracts-grid.dashGridOptions": (
        {"contracts-search.value": "Zebra", "contracts-status.value": "'); alert(1); ('"},
        {},
    ),
    "portfolio-go.href": ({"portfolio-grid.cellClicked": {"rowId": "CB"}}, {}),
    IMPORT: _import_args("customers", "x.csv", "customer_id,name,tax_id\nCX,Intruder,999\n"),
    CLASSIFY: _classify_args("2026-01-01"),
    "admin-audit.rowData": ({"admin-import-result.children": "x"}, {}),
    # Dash's own: it ends only a job whose signed handle this page load was given
    "admin-import-cancel.id": None,
    "admin-classify-cancel.id": None,
    "meetings-packs-cancel.id": None,
    # the portfolio's packs: the caller's own portfolio, or nothing (test_meeting_pack)
    "..meetings-packs-zip.data...meetings-packs-result.children..": (
        {"meetings-packs.n_clicks": 1},
        {},
    ),
    ADD_USER: (
        {"admin-user-add.n_clicks": 1},
        {
            "admin-user-email.value": "mole@a.test",
            "admin-user-role.value": "admin",
            "admin-user-password.value": "a-long-password-1",
            "admin-user-language.value": "en",
        },
    ),
    ROUTER: (
        {"_pages_location.pathname": "/overview", "_pages_location.search": "?customer=CB"},
        {},
    ),
    "billing-amount.value": ({"billing-invoices.selectedRows": [{"id": 1, "open": 5}]}, {}),
    PAY: None,  # needs the other customer's invoice id: test_a_forged_payment_changes_nothing
    # forged ids of the other customer's contract and invoices: test_bill_comparison_*
    BILL_CONTRACT: ({"billcmp-contract.value": 1}, {}),
    "billcmp-result.children": ({"billcmp-first.value": 1, "billcmp-second.value": 2}, {}),
    REPORT: _report_args("billing", "CB", "2020-01", "2022-12", "none"),
    CUT: _cut_args("sites", "CB", "site:SB1"),
    "consumption-zoom.figure": (
        {"consumption-zoom-site.value": "SB1", "consumption-zoom-view.data": None},
        {
            "consumption-customer.data": "CB",
            "consumption-zoom-range.data": ["2025-01-01", "2025-02-01"],
        },
    ),
    "shell-reload.href": None,  # pattern-matching ids; covered in test_web_auth (own user only)
    VENS_DECIDE: None,  # pattern-matching ids: test_only_demand_staff_decide_a_ven_registration
    OPEN_MESSAGE: ({"inbox-list.active_item": "message-1"}, {}),
    READ_ALL: ({"inbox-read-all.n_clicks": 1}, {}),
    "outbox-grid.rowData": ({"outbox-status.value": "", "outbox-channel.value": ""}, {}),
    "..letters-result.children...letters-posted.disabled..": (
        {"letters-posted.n_clicks": 1},
        {"letters-download.href": "/download/letters.pdf?ids=1,2,3"},
    ),
    "preview-body.children": (
        {"preview-kind.value": "welcome", "preview-language.value": "he"},
        {},
    ),
    MEETINGS_OPEN: (
        {"meetings-grid.cellClicked": {"rowId": "CB"}, "meetings-actions-grid.cellClicked": None},
        {},
    ),
    MEETINGS_SCHEDULE: (
        {"meetings-schedule.n_clicks": 1},
        {
            "meetings-customer.data": "CB",
            "meetings-duration.value": "60",
            "meetings-day.value": "2030-01-06",
            "meetings-time.value": "10:00",
            "meetings-place.value": "Mole's den",
            "meetings-contacts.value": [],
        },
    ),
    MEETING_SAVE: ({"meeting-save.n_clicks": 1}, MEETING_FORM),
    MEETING_ADD: (
        {"meeting-action-add.n_clicks": 1},
        {
            "meeting-id.data": 1,
            "meeting-action-text.value": "Forged action",
            "meeting-action-owner.value": "us",
            "meeting-action-due.value": "2030-01-01",
        },
    ),
    MEETING_TICK: ({"meeting-done.value": ["1"]}, {"meeting-id.data": 1}),
    MESSAGE_DETAIL: ({"outbox-grid.cellClicked": {"rowId": "1"}}, {}),
    CONTACT_FORM: (
        {"contact-add.n_clicks": None, "contacts-grid.cellClicked": {"rowId": "1"}},
        {"contact-customer.data": "CB"},
    ),
    "requests-list.children": (
        {
            "requests-filter-customer.value": "CB",
            "requests-filter-state.value": "all",
            "requests-filter-sla.value": "breached",
        },
        {},
    ),
    "requests-new-modal.is_open": ({"requests-new.n_clicks": 1}, {}),
    REQUEST_FIELDS: ({"requests-new-kind.value": "billing"}, {}),
    REQUEST_CHOICES: ({"requests-new-customer.value": "CB"}, {}),
    REQUEST_SEND: ({"requests-new-send.n_clicks": 1}, FORGED_REQUEST),
    # the other customer's real request ids: test_forged_request_actions_change_nothing
    REQUEST_ACT: (
        {"request-move.n_clicks": 1},
        {"request-id.data": 1, "request-state.value": "closed", "request-note.value": "x"},
    ),
    NOTE_ADD: (
        {"customer-note-add.n_clicks": 1},
        {"customer-id.data": "CB", "customer-note-text.value": "forged note"},
    ),
    REASSIGN: (
        {"customer-reassign.n_clicks": 1},
        {"customer-id.data": "CB", "customer-manager.value": "2"},
    ),
    "demand-preview-box.children": ({"demand-preview.n_clicks": 1}, DEMAND_FORM),
    DEMAND_SAVE: ({"demand-save.n_clicks": 1}, {"demand-pick.value": None, **DEMAND_FORM}),
    DEMAND_LOAD: ({"demand-pick.value": 1}, {}),
    DEMAND_SHOW: (
        {"demand-pick.value": 1, "demand-acted.data": None, "demand-refresh.n_intervals": 1},
        {},
    ),
    DEMAND_ACT: (
        {"demand-issue.n_clicks": 1},
        {"demand-pick.value": 1, "demand-schedule-at.value": "2030-07-13 08:00", **DEMAND_FORM},
    ),
    # pattern-matching ids: tests/test_web_demand.py forges the other customer's notice id
    NOTICE_ACK: None,
    # pattern-matching ids: tests/test_web_surveys.py forges another customer's survey ids
    SURVEY_SEND: None,
    SURVEY_FOLLOW_UP: None,
    CONTACT_SAVE: (
        {"contact-save.n_clicks": 1, "contact-delete.n_clicks": None},
        {
            "contact-customer.data": "CB",
            "contact-editing.data": None,
            "contact-name.value": "Mole",
            "contact-role.value": "owner",
            "contact-email.value": "mole@a.test",
            "contact-phone.value": "",
            "contact-address.value": "",
            "contact-language.value": "en",
            "contact-channels-membership.value": ["email"],
            "contact-channels-warnings.value": [],
            "contact-channels-outages.value": [],
            "contact-channels-service.value": [],
        },
    ),
}


def test_every_callback_has_a_forged_call_scenario(client):
    sign_in(client, "admin@a.test")
    outputs = {  # clientside callbacks run in the browser only: no endpoint
        spec["output"] for spec in dependencies(client) if not spec.get("clientside_function")
    }
    assert outputs - set(SCENARIOS) == set(), "add an access scenario for the new callback"


@pytest.mark.parametrize("output", [o for o, s in SCENARIOS.items() if s is not None])
def test_forged_call_by_another_client_reveals_nothing_of_the_other_customer(
    client, db, world, output
):
    sign_in(client, "client@a.test")
    inputs, state = SCENARIOS[output]
    before = (_count(db, Customer), _count(db, User), _count(db, ClassificationRun))
    response = call(client, output, inputs, state)
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 204)
    for secret in (world.other_name, world.other_site_name, "SB1"):
        assert secret not in body or output == "portfolio-go.href"
    assert (_count(db, Customer), _count(db, User), _count(db, ClassificationRun)) == before


def test_forged_chart_call_returns_an_empty_figure(client, world):
    sign_in(client, "client@a.test")
    for customer, site in (("CB", "SB1"), ("CA", "SB1"), ("CB", ""), (["CA"], "SA1")):
        response = call(
            client, CHART, {"overview-site.value": site}, {"overview-customer.data": customer}
        )
        payload = response.get_json()["response"]
        assert payload["overview-chart"]["figure"]["data"] == []
        assert "Nothing to show" in payload["overview-chart-note"]["children"]


def test_own_chart_call_returns_data(client, world):
    sign_in(client, "client@a.test")
    response = call(client, CHART, {"overview-site.value": "SA1"}, {"overview-customer.data": "CA"})
    figure = response.get_json()["response"]["overview-chart"]["figure"]
    assert sum(_values(trace["y"]).sum() for trace in figure["data"]) == 13 * 100_000


def test_regions_callback_shows_a_client_nothing(client, world):
    sign_in(client, "client@a.test")
    rows = call(client, "regions-sites.rowData", {"regions-filter.value": ""}).get_json()
    sites = {row["site_id"] for row in rows["response"]["regions-sites"]["rowData"]}
    assert sites == set()


@pytest.mark.parametrize(
    ("email", "path", "search", "expected"),
    [
        ("client@a.test", "/overview", "?customer=CB", "not-found"),
        ("client@a.test", "/overview", "?customer=DOES-NOT-EXIST", "not-found"),
        ("client@b.test", "/overview", "?customer=CA", "not-found"),
        ("manager@a.test", "/overview", "?customer=CB", "not-found"),
        ("client@a.test", "/portfolio", "", "not-allowed"),
        ("client@a.test", "/admin", "", "not-allowed"),
        ("demand@a.test", "/admin", "", "not-allowed"),
        ("manager@a.test", "/admin", "", "not-allowed"),
        ("client@a.test", "/regions", "", "not-allowed"),
        ("client@a.test", "/contracts", "?customer=CB", "not-found"),
        ("manager@a.test", "/contracts", "?customer=CB", "not-found"),
        ("demand@a.test", "/contracts", "?customer=CA", "not-found"),
        ("client@a.test", "/fault-desk", "", "not-allowed"),
        ("manager@a.test", "/fault-desk", "", "not-allowed"),
        ("demand@a.test", "/requests", "", "not-allowed"),
    ],
)
def test_pages_refuse_what_is_not_the_viewers(client, world, email, path, search, expected):
    sign_in(client, email)
    body = _page(client, path, search)
    assert f'"id":"{expected}"' in body.replace(" ", "")
    assert world.other_name not in body or email == "client@b.test"


def test_client_overview_ignores_a_forged_customer_and_shows_its_own(client, world):
    sign_in(client, "client@b.test")
    own = _page(client, "/overview")
    assert world.other_name in own
    assert "Acme" not in own


def test_client_overview_shows_each_sites_share_of_the_lounge_window(client, world):
    sign_in(client, "client@a.test")
    body = _page(client, "/overview").replace(" ", "")
    # 12 months of 100,000 and 5,000 kWh: the shares the consumption page computes too
    assert (
        '"site_id":"SA1","name":"AcmeAshdodPlant","region":"South","kwh":1200000,"share":95.2'
        in body
    )
    assert '"site_id":"SA2"' in body and '"share":4.8' in body


def test_manager_sees_only_the_portfolio(client, world):
    sign_in(client, "manager@a.test")
    body = _page(client, "/portfolio")
    assert "Acme Steel Works" in body
    assert world.other_name not in body
    assert "Acme Steel Works" in _page(client, "/overview", "?customer=CA")


def test_admin_sees_everyone(client, world):
    sign_in(client, "admin@a.test")
    body = _page(client, "/portfolio")
    assert "Acme Steel Works" in body and world.other_name in body


def test_admin_import_upload_works_and_reports_bad_rows(client, db, world):
    sign_in(client, "admin@a.test")
    ok = _import(client, "customers", "new.csv", "customer_id,name,tax_id\nCX,New Co,777\n")
    assert "1 new" in ok.get_data(as_text=True)
    bad = _import(
        client, "readings", "bad.csv", "site_id,start,end,kwh\nSA1,2025-01-01,2024-01-01,-1\n"
    )
    text = json.dumps(bad.get_json())
    assert "line 2" in text and "kwh is negative" in text and "is not after start" in text
    assert _count(db, Customer) == 3


def test_contracts_filter_cannot_inject_script(client, world):
    sign_in(client, "client@a.test")
    response = call(
        client,
        "contracts-grid.dashGridOptions",
        {"contracts-search.value": "", "contracts-status.value": "'); alert(1); ('"},
    )
    options = response.get_json()["response"]["contracts-grid"]["dashGridOptions"]
    assert "alert" not in json.dumps(options)


@pytest.mark.parametrize(
    ("email", "invoice"),
    [
        ("client@a.test", "other_invoice"),  # another customer's invoice
        ("manager@a.test", "own_invoice"),  # a manager never pays for a customer
    ],
)
def test_a_forged_payment_changes_nothing(client, db, world, email, invoice):
    sign_in(client, email)
    before = _count(db, Payment)
    response = _pay(client, getattr(world, invoice))
    assert response.status_code == 200
    assert "Nothing to show: this customer or site" in response.get_data(as_text=True)
    assert _count(db, Payment) == before


def test_own_payment_goes_through_once_for_a_repeated_request(client, db, world):
    sign_in(client, "client@a.test")
    first = _pay(client, world.own_invoice)
    again = _pay(client, world.own_invoice, clicks=2)
    assert "Receipt" in first.get_data(as_text=True)
    assert "Receipt" in again.get_data(as_text=True)
    with db.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Payment).where(Payment.customer_id == "CA")
            )
            == 1
        )


@pytest.mark.parametrize(
    ("email", "path", "status"),
    [
        ("client@a.test", "/download/bill/{own}.pdf", 200),
        ("client@a.test", "/download/bill/{other}.pdf", 404),
        ("client@a.test", "/download/bill/not-a-number.pdf", 404),
        ("manager@a.test", "/download/bill/{own}.pdf", 200),
        ("manager@a.test", "/download/bill/{other}.pdf", 404),
        ("demand@a.test", "/download/bill/{own}.pdf", 404),
        ("client@b.test", "/download/receipt/{payment}.pdf", 200),
        ("client@a.test", "/download/receipt/{payment}.pdf", 404),
        (
            "client@a.test",
            "/download/report.pdf?kind=debts&customer=CB&from=2025-01&to=2025-12",
            404,
        ),
        (
            "client@a.test",
            "/download/report.xlsx?kind=yoy&customer=CB&from=2025-01&to=2025-12",
            404,
        ),
        ("client@a.test", "/download/report.csv?kind=yoy&customer=CA&from=2025-01&to=2025-12", 200),
        ("client@a.test", "/download/report.exe?kind=yoy&customer=CA&from=2025-01&to=2025-12", 404),
        (
            "client@a.test",
            "/download/report.pdf?kind=nope&customer=CA&from=2025-01&to=2025-12",
            400,
        ),
    ],
)
def test_downloads_check_access(client, world, email, path, status):
    sign_in(client, email)
    url = path.format(own=world.own_invoice, other=world.other_invoice, payment=world.other_payment)
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert response.headers["Content-Disposition"].startswith("attachment;")
        expected = {".csv": b"\xef\xbb\xbf", ".xlsx": b"PK"}.get(
            "." + url.split("?")[0].rsplit(".", 1)[1], b"%PDF"
        )
        assert response.data.startswith(expected)


def test_anonymous_downloads_are_refused(client, world):
    for path in (
        f"/download/bill/{world.own_invoice}.pdf",
        f"/download/bill-comparison.pdf?a={world.own_invoice}&b={world.other_invoice}",
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("tab", ["series", "tou", "yoy", "sites", "profile", "peak", "zoom", "vip"])
@pytest.mark.parametrize(
    ("customer", "scope"), [("CB", "all"), ("CA", "site:SB1"), ("CA", "region:South")]
)
def test_every_consumption_cut_refuses_another_customers_ids(client, world, tab, customer, scope):
    sign_in(client, "client@a.test")
    response = _cut(client, tab, customer, scope)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "SB1" not in body and world.other_site_name not in body
    if customer == "CB" or scope == "site:SB1":
        assert '"id":"not-found"' in body.replace(" ", "")


@pytest.mark.parametrize("kind", ["consumption", "tou", "yoy", "billing", "debts"])
def test_every_report_refuses_another_customer(client, world, kind):
    sign_in(client, "client@a.test")
    response = call(client, REPORT, *_report_args(kind, "CB", "2025-01", "2025-12", "region"))
    body = response.get_data(as_text=True)
    assert '"id":"not-found"' in body.replace(" ", "")
    assert world.other_name not in body


WEIRD = [None, [1], {"a": 1}, "x" * 5000, 1e30, "1e30", True, "9999-12"]


@pytest.mark.parametrize("weird", WEIRD, ids=[repr(w)[:12] for w in WEIRD])
def test_callbacks_survive_values_of_any_type(client, world, weird):
    """Forged inputs of the wrong type get a refusal or nothing, never a server error."""
    sign_in(client, "client@a.test")
    failures = []
    for output, scenario in SCENARIOS.items():
        if scenario is None or output == ROUTER:
            continue  # the router is Dash's own: a wrong type there only breaks its own reply
        inputs, state = scenario
        for key in [*inputs, *state]:
            forged_inputs = {k: (weird if k == key else v) for k, v in inputs.items()}
            forged_state = {k: (weird if k == key else v) for k, v in state.items()}
            response = call(client, output, forged_inputs, forged_state)
            if response.status_code >= 500:
                failures.append((output, key))
    response = call(
        client, PAY, {"billing-pay.n_clicks": 1}, {**CARD, "billing-amount.value": weird}
    )
    if response.status_code >= 500:
        failures.append((PAY, "billing-amount.value"))
    assert failures == []


def test_portfolio_export_holds_only_the_portfolio(client, world):
    sign_in(client, "manager@a.test")
    text = client.get("/download/portfolio.csv").get_data(as_text=True)
    assert "Acme Steel Works" in text and world.other_name not in text


def _audit(db) -> list[tuple[str, str | None, dict | None]]:
    with db.session() as session:
        rows = session.execute(select(AuditLog.action, AuditLog.target, AuditLog.details))
        return [tuple(row) for row in rows]


def test_a_rejected_import_is_in_the_audit_log_and_the_log_refreshes(client, db, world):
    sign_in(client, "admin@a.test")
    bad = _import(client, "customers", "bad.csv", "customer_id,name,tax_id\nC9,,123\nC10,Ok Ltd,\n")
    answer = bad.get_json()["response"]
    assert "line 2: name is empty" in json.dumps(answer["admin-import-result"])
    assert answer["admin-upload"]["contents"] is None  # the same file may be chosen again
    assert (
        "import.customers.rejected",
        "bad.csv",
        {"problems": 2, "reason": "line 2: name is empty"},
    ) in _audit(db)
    refreshed = call(client, "admin-audit.rowData", {"admin-import-result.children": "x"})
    rows = refreshed.get_json()["response"]["admin-audit"]["rowData"]
    assert rows[0]["action"] == "import.customers.rejected" and "problems=2" in rows[0]["details"]


def test_a_background_import_reports_progress(client, db, world):
    sign_in(client, "admin@a.test")
    ok = _import(client, "customers", "new.csv", "customer_id,name,tax_id\nCX,New Co,777\n")
    assert "1 new" in ok.get_data(as_text=True)
    assert {
        "admin-import-progress.value": 100,
        "admin-import-progress.label": "Done",
    } in ok.progress


@pytest.mark.parametrize("email", ["client@a.test", "manager@a.test", "demand@a.test"])
def test_a_forged_background_job_by_another_role_is_refused(client, db, world, email):
    sign_in(client, email)
    before = (_count(db, Customer), _count(db, ClassificationRun), len(_audit(db)))
    imported = _import(client, "customers", "x.csv", "customer_id,name,tax_id\nCX,Intruder,999\n")
    classified = _classify(client, "2026-01-01")
    audit_rows = call(client, "admin-audit.rowData", {"admin-import-result.children": "x"})
    for response in (imported, classified):
        assert '"id":"not-allowed"' in response.get_data(as_text=True).replace(" ", "")
    assert audit_rows.get_json()["response"]["admin-audit"]["rowData"] == []
    assert (_count(db, Customer), _count(db, ClassificationRun), len(_audit(db))) == before


def test_a_job_acts_only_for_a_signed_in_caller(db, world):
    with db.session() as session:
        admin = session.scalar(select(User).where(User.email == "admin@a.test"))
        caller = {"user_id": admin.id, "token": admin.session_token, "language": "he"}
    with jobs.acting_as(caller) as (_database, viewer):
        assert viewer.email == "admin@a.test" and i18n.current() == "he"
    for forged in (None, {**caller, "token": "stolen"}, {**caller, "user_id": 10**6}, "admin"):
        with pytest.raises(AccessDenied), jobs.acting_as(forged):
            pass


def test_a_file_over_the_limit_is_refused_with_a_clear_message(client, db, world, monkeypatch):
    monkeypatch.setenv("LOUNGE_MAX_UPLOAD_MB", "1")
    sign_in(client, "admin@a.test")
    big = "customer_id,name,tax_id\n" + "CX,New Co,777\n" * 80_000  # 1.1 MB
    response = _import(client, "customers", "big.csv", big)
    assert "files of up to 1 MB can be imported" in response.get_data(as_text=True)
    assert _count(db, Customer) == 2


def test_browser_and_server_share_the_upload_limit(db, world):
    from app import create_app

    app = create_app({"database_url": db.url, "max_upload_mb": 3})
    assert app.server.config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024  # base64 of 3 MB and 1 MB
    client = app.server.test_client()
    sign_in(client, "admin@a.test")
    page = _page(client, "/admin")
    assert '"max_size":3145728' in page.replace(" ", "")
    assert '"data-max-bytes":"3145728"' in page.replace(" ", "")
    too_big = client.post(
        "/_dash-update-component",
        data=b"x" * (5 * 1024 * 1024 + 1),
        content_type="application/json",
    )
    assert too_big.status_code == 413


def test_jobs_go_to_celery_when_a_broker_is_configured():
    config = settings.load()
    assert isinstance(jobs.manager(config), jobs.LoungeDiskcacheManager)
    celery = jobs.manager(config.with_(celery_broker_url="redis://127.0.0.1:6379/15"))
    assert isinstance(celery, jobs.LoungeCeleryManager)
    assert celery.handle.conf.broker_url == "redis://127.0.0.1:6379/15"


def test_an_import_that_breaks_says_so_plainly(client, db, world, monkeypatch):
    """Whatever goes wrong inside a job, the page says what happened, not a server error."""
    from lounge import admin

    def broken(*_args: object) -> None:
        raise RuntimeError("too many SQL variables")

    monkeypatch.setattr(admin, "import_upload", broken)  # the job's process is a fork of this one
    sign_in(client, "admin@a.test")
    response = _import(client, "customers", "new.csv", "customer_id,name,tax_id\nCX,New Co,777\n")
    assert response.status_code == 200
    answer = response.get_json()["response"]
    assert "The job failed and nothing was changed" in json.dumps(answer["admin-import-result"])
    assert answer["admin-upload"]["contents"] is None


def test_a_job_answers_in_the_callers_language(client, db, world):
    with db.session() as session:
        session.scalar(select(User).where(User.email == "admin@a.test")).language = "he"
    sign_in(client, "admin@a.test")
    response = _import(client, "customers", "bad.csv", "customer_id,name,tax_id\nC9,,123\n")
    assert "bad.csv: נדחה, דבר לא נקלט (בעיה אחת)" in json.dumps(
        response.get_json(), ensure_ascii=False
    )


def test_classification_runs_as_a_background_job_and_shows_in_the_audit_log(client, db, world):
    sign_in(client, "admin@a.test")
    before = _count(db, ClassificationRun)
    response = _classify(client, world.as_of.isoformat())
    assert '"id":"admin-classify-ok"' in response.get_data(as_text=True).replace(" ", "")
    assert _count(db, ClassificationRun) == before + 1
    refreshed = call(client, "admin-audit.rowData", {"admin-classify-result.children": "x"})
    rows = refreshed.get_json()["response"]["admin-audit"]["rowData"]
    assert rows[0]["action"] == "classification.run"


def test_year_over_year_tab_names_the_months_it_compares(client, world):
    sign_in(client, "client@a.test")
    last = localtime.add_months(localtime.first_of_month(world.as_of), -1)
    response = _cut(client, "yoy", "CA", "all", f"{last.year}-01", f"{last:%Y-%m}", "month")
    body = response.get_data(as_text=True)
    # the seeded months run up to last month: this year's months so far, and no later
    months = f"{format_month(dt.date(last.year, 1, 1))} to {format_month(last)}:"
    assert months in body
    # the change as every screen says one: with an arrow and a sign (or none at all)
    note = json.dumps(response.get_json(), ensure_ascii=False)
    assert re.search(r"\((▲ \+|▼ \u2212)[\d,]+\.\d%\)\.|\(0\.0%\)\.", note)


@pytest.mark.parametrize("tab", ["tou", "series"])  # series by day
def test_interval_cuts_warn_how_many_sites_they_cover(client, world, tab):
    sign_in(client, "client@a.test")
    last = localtime.add_months(localtime.first_of_month(world.as_of), -1)
    response = _cut(
        client, tab, "CA", "all", f"{last.year - 1}-{last.month:02d}", f"{last:%Y-%m}", "day"
    )
    body = response.get_data(as_text=True)
    assert '"id":"consumption-coverage"' in body.replace(" ", "")
    assert "Interval data cover 0 of 2 sites" in body


def test_peak_tab_charts_the_coincident_peak_of_the_group_in_kw(client, world, db):
    last = localtime.add_months(localtime.first_of_month(world.as_of), -1)
    # two days of quarter hours at 1 kW on SA1 and at 2 kW on SA2, the same hours
    rows = [
        f"{site},{moment:%Y-%m-%dT%H:%M},{moment + dt.timedelta(minutes=15):%Y-%m-%dT%H:%M},{kwh}"
        for site, kwh in (("SA1", "0.25"), ("SA2", "0.5"))
        for moment in (
            dt.datetime(last.year, last.month, 2) + dt.timedelta(minutes=15 * n)
            for n in range(2 * 96)
        )
    ]
    import_bytes(db, "readings", csv_bytes("site_id,start,end,kwh", *rows))
    sign_in(client, "client@a.test")
    response = _cut(client, "peak", "CA", "all", f"{last:%Y-%m}", f"{last:%Y-%m}", "month")
    body = response.get_json()["response"]["consumption-content"]["children"]
    text = json.dumps(body)
    assert "Peak demand per month, kW" in text and "coincident peak" in text
    assert '"id": "consumption-coverage"' in text  # billing reads elsewhere in the month
    (graph,) = [part for part in body if part["props"].get("id") == "consumption-peak"]
    traces = {
        trace["name"]: _values(trace["y"]).tolist() for trace in graph["props"]["figure"]["data"]
    }
    assert traces == {
        "Coincident peak of the sites together": [3.0],
        "Highest single-site peak": [2.0],
    }
    assert graph["props"]["figure"]["layout"]["showlegend"] is True
    assert graph["props"]["figure"]["layout"]["yaxis"]["ticksuffix"] == " kW"


def test_billing_page_marks_an_estimated_band_split(client, db, world):
    """An invoice whose time-of-use split is estimated says so in the grid and under it."""
    sign_in(client, "client@a.test")
    assert "billing-split-note" not in _page(client, "/billing")  # flat tariff: no split
    with db.session() as session:
        session.add(
            InvoiceLine(
                invoice_id=world.own_invoice,
                position=1,
                kind="energy_peak",
                quantity=Decimal("1"),
                unit="kWh",
                unit_price=Decimal("1"),
                amount=Decimal("1.00"),
                band_split=BandSplit.TYPICAL,
            )
        )
    body = _page(client, "/billing")
    assert '"band_split":"Estimated"' in body.replace(" ", "")
    assert "billing-split-note" in body and "typical commercial load shape" in body


def test_a_forged_contact_for_another_customer_is_not_written(client, db, world):
    from db.models import Contact

    sign_in(client, "client@a.test")
    inputs, state = SCENARIOS[CONTACT_SAVE]
    call(client, CONTACT_SAVE, inputs, state)
    call(client, CONTACT_SAVE, inputs, {**state, "contact-customer.data": "CA"})
    with db.session() as session:
        owners = list(session.scalars(select(Contact.customer_id)))
    assert owners == ["CA"]  # the own one is written, the forged one is not


def _meetings_state(db) -> list[tuple]:
    from db.models import ActionItem, Meeting, Notification

    with db.session() as session:
        return [
            *session.execute(
                select(Meeting.id, Meeting.customer_id, Meeting.state, Meeting.sequence)
                .add_columns(Meeting.starts_at, Meeting.minutes)
                .order_by(Meeting.id)
            ).all(),
            *session.execute(
                select(ActionItem.id, ActionItem.text, ActionItem.done_at).order_by(ActionItem.id)
            ).all(),
            session.scalar(select(func.count()).select_from(Notification)),
        ]


@pytest.fixture
def other_meeting(db, world) -> int:
    """A meeting of the other customer, with an open action."""
    from lounge import meetings
    from lounge.access import SYSTEM

    with db.session() as session:
        meeting = meetings.schedule(
            session,
            SYSTEM,
            world.other,
            meetings.MeetingForm(
                day="2030-01-07", time="09:00", place="Eilat", agenda="Zebra's secret agenda"
            ),
            "https://lounge.example",
        )
        meetings.add_action(
            session, SYSTEM, meeting.id, "Zebra's secret action", "us", "2030-02-01"
        )
    return meeting.id


def _aimed_at(values: dict, meeting_id: int) -> dict:
    """A scenario's values aimed at ``meeting_id`` and its actions (ids differ per backend)."""
    aimed = {**values}
    if "meeting-id.data" in aimed:
        aimed["meeting-id.data"] = meeting_id
    if "meeting-done.value" in aimed:
        aimed["meeting-done.value"] = [str(n) for n in range(meeting_id - 5, meeting_id + 50)]
    return aimed


MEETING_CALLS = (MEETINGS_OPEN, MEETINGS_SCHEDULE, MEETING_SAVE, MEETING_ADD, MEETING_TICK)


@pytest.mark.parametrize("email", ["client@a.test", "manager@a.test", "demand@a.test"])
def test_forged_meeting_calls_change_nothing_of_another_customer(
    client, db, world, other_meeting, email
):
    sign_in(client, email)
    before = _meetings_state(db)
    for output in MEETING_CALLS:
        inputs, state = SCENARIOS[output]
        inputs, state = _aimed_at(inputs, other_meeting), _aimed_at(state, other_meeting)
        response = call(client, output, inputs, state)
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 204)
        for secret in (world.other_name, "secret", "meeting?id="):
            assert secret not in body, (output, body)
    assert _meetings_state(db) == before
    page = _page(client, "/meeting", f"?id={other_meeting}")
    assert "secret" not in page and world.other_name not in page


def test_the_other_customer_sees_its_own_meeting_and_a_manager_schedules_only_the_portfolio(
    client, db, world, other_meeting
):
    sign_in(client, "client@b.test")
    page = _page(client, "/meeting", f"?id={other_meeting}")
    assert "Zebra's secret agenda" in page and "Zebra's secret action" in page
    assert "Zebra's secret action" in _page(client, "/meetings")
    client.post("/logout")
    sign_in(client, "manager@a.test")
    inputs, state = SCENARIOS[MEETINGS_SCHEDULE]
    response = call(client, MEETINGS_SCHEDULE, inputs, {**state, "meetings-customer.data": "CA"})
    answer = response.get_json()["response"]
    assert answer["meetings-go"]["href"] == f"/meeting?id={other_meeting + 1}"  # its own: yes


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("client@b.test", 200),
        ("admin@a.test", 200),
        ("client@a.test", 404),
        ("manager@a.test", 404),
        ("demand@a.test", 404),
    ],
)
def test_meeting_calendar_download_checks_access(client, world, other_meeting, email, status):
    sign_in(client, email)
    response = client.get(f"/download/meeting/{other_meeting}.ics")
    assert response.status_code == status
    if status == 200:
        assert response.data.startswith(b"BEGIN:VCALENDAR")
        assert response.headers["Content-Type"].startswith("text/calendar")
    assert client.get("/download/meeting/not-a-number.ics").status_code == 404


# --- requests and faults ------------------------------------------------------------------


@pytest.fixture
def requests_world(db, world):
    """The other customer's fault (with a file) and billing question; a fault desk user."""
    from db.models import Invoice
    from lounge.access import Viewer
    from lounge.requests import attachments, workflow
    from lounge.requests.workflow import RequestForm

    with db.session() as session:
        users.create_user(
            session, email="desk@a.test", role="fault_desk", password=PASSWORD, actor="test"
        )
        theirs = Viewer.of(session.scalars(select(User).where(User.email == "client@b.test")).one())
        fault = workflow.open_request(
            session,
            theirs,
            "CB",
            RequestForm("fault", "no_supply", "Zebra freezer down", site_id="SB1"),
            "http://x",
        )
        invoice = session.scalar(select(Invoice.id).where(Invoice.customer_id == "CB"))
        question = workflow.open_request(
            session,
            theirs,
            "CB",
            RequestForm("billing", "question", "Zebra bill", invoice_id=str(invoice)),
            "http://x",
        )
        folder = settings.load().attachments_dir
        files = [
            attachments.add(session, theirs, r.id, "zebra.pdf", b"%PDF-1.4\n", folder, 10**6).id
            for r in (fault, question)
        ]
        return {"fault": fault.id, "question": question.id, "files": files}


def _request_rows(db) -> tuple[int, ...]:
    from db.models import RequestAttachment, RequestEvent, ServiceRequest

    return tuple(_count(db, model) for model in (ServiceRequest, RequestEvent, RequestAttachment))


@pytest.mark.parametrize("email", ["client@a.test", "manager@a.test", "demand@a.test"])
def test_forged_request_actions_change_nothing(client, db, requests_world, email):
    sign_in(client, email)
    before = _request_rows(db)
    for request_id in (requests_world["fault"], requests_world["question"], "1 or 1=1", None):
        state = {
            "request-id.data": request_id,
            "request-state.value": "closed",
            "request-note.value": "forged",
            "request-comment.value": "forged",
            "request-upload.filename": "x.pdf",
        }
        for trigger, value in (
            ("request-move.n_clicks", 1),
            ("request-send.n_clicks", 1),
            ("request-upload.contents", PDF_UPLOAD),
        ):
            response = call(client, REQUEST_ACT, {trigger: value}, state, triggered=trigger)
            body = response.get_data(as_text=True)
            assert response.status_code == 200
            assert "Zebra" not in body and "not-found" in body.replace(" ", "")
        page = _page(client, f"/requests/{request_id}")
        assert "Zebra" not in page and '"id":"not-found"' in page.replace(" ", "")
    assert _request_rows(db) == before


def test_a_forged_new_request_for_another_customer_is_not_written(client, db, world):
    sign_in(client, "client@a.test")
    before = _request_rows(db)
    for customer, site in (("CB", "SB1"), ("CA", "SB1"), (["CB"], "SA1")):
        state = {**FORGED_REQUEST, "requests-new-customer.value": customer}
        response = call(
            client,
            REQUEST_SEND,
            {"requests-new-send.n_clicks": 1},
            {**state, "requests-new-site.value": site},
        )
        assert "/requests/" not in response.get_data(as_text=True)
    assert _request_rows(db) == before
    state = {
        **FORGED_REQUEST,
        "requests-new-customer.value": "CA",
        "requests-new-site.value": "SA1",
    }
    response = call(client, REQUEST_SEND, {"requests-new-send.n_clicks": 1}, state)
    assert response.get_json()["response"]["requests-go"]["href"].startswith("/requests/")


def test_the_fault_desk_reaches_faults_only_and_no_money(client, requests_world):
    sign_in(client, "desk@a.test")
    fault = _page(client, f"/requests/{requests_world['fault']}")
    assert "Zebra freezer down" in fault and "fault-card" in fault
    for path in (f"/requests/{requests_world['question']}", "/billing", "/overview"):
        body = _page(client, path, "?customer=CB")
        assert "Zebra bill" not in body and "INV-B" not in body and "1,180" not in body
    assert '"id":"not-allowed"' in _page(client, "/requests").replace(" ", "")
    queue = _page(client, "/fault-desk")
    assert "Zebra freezer down" in queue and "Zebra Warehouse Eilat" in queue
    assert "Zebra bill" not in queue
    listed = call(
        client,
        "requests-list.children",
        {"requests-filter-customer.value": "all", "requests-filter-state.value": "all"},
    ).get_data(as_text=True)
    assert "Zebra bill" not in listed


@pytest.mark.parametrize(
    ("email", "which", "status"),
    [
        ("client@b.test", 0, 200),
        ("client@b.test", 1, 200),
        ("desk@a.test", 0, 200),
        ("desk@a.test", 1, 404),  # a billing question is no fault
        ("client@a.test", 0, 404),
        ("manager@a.test", 0, 404),
        ("demand@a.test", 0, 404),
        ("admin@a.test", 1, 200),
    ],
)
def test_request_attachments_download_only_for_who_sees_the_request(
    client, requests_world, email, which, status
):
    sign_in(client, email)
    request_id = (requests_world["fault"], requests_world["question"])[which]
    file_id = requests_world["files"][which]
    response = client.get(f"/download/request/{request_id}/attachment/{file_id}")
    assert response.status_code == status
    if status == 200:
        assert response.data.startswith(b"%PDF")
        assert response.headers["Content-Disposition"].startswith("attachment;")
    # one request's file is never reached through another request's address
    other = (requests_world["question"], requests_world["fault"])[which]
    assert client.get(f"/download/request/{other}/attachment/{file_id}").status_code == 404


def _contract_of(db, invoice_id: int) -> int:
    from db.models import Invoice

    with db.session() as session:
        return session.get_one(Invoice, invoice_id).contract_id


def test_bill_comparison_explains_the_own_pair(client, db, world):
    earlier = earlier_invoice(db, world.own_invoice)
    sign_in(client, "client@a.test")
    page = _page(client, "/billing")
    assert '"id":"billcmp-summary"' in page.replace(" ", "")
    response = call(
        client,
        "billcmp-result.children",
        {"billcmp-first.value": world.own_invoice, "billcmp-second.value": earlier},
    )
    text = response.get_data(as_text=True)
    # 708.00 -> 1180.00: the hand-made bills have no other lines, so the rest is "other"
    assert "The total went from" in text and "472.00" in text
    choices = call(client, BILL_CONTRACT, {"billcmp-contract.value": _contract_of(db, earlier)})
    values = choices.get_json()["response"]
    assert values["billcmp-first"]["value"] == str(earlier)
    assert values["billcmp-second"]["value"] == str(world.own_invoice)
    pdf = client.get(f"/download/bill-comparison.pdf?a={earlier}&b={world.own_invoice}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_bill_comparison_callbacks_refuse_another_customers_invoices(client, db, world):
    theirs = earlier_invoice(db, world.other_invoice)
    sign_in(client, "client@a.test")
    for first, second in (
        (world.other_invoice, theirs),
        (world.own_invoice, world.other_invoice),
        ("1; drop table invoice", world.own_invoice),
        ({"id": world.other_invoice}, [theirs]),
    ):
        response = call(
            client,
            "billcmp-result.children",
            {"billcmp-first.value": first, "billcmp-second.value": second},
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert '"id":"not-found"' in body.replace(" ", "")
        assert "INV-B" not in body and "Zebra" not in body
    response = call(client, BILL_CONTRACT, {"billcmp-contract.value": _contract_of(db, theirs)})
    values = response.get_json()["response"]
    assert values["billcmp-first"] == {"options": [], "value": None}
    assert values["billcmp-second"] == {"options": [], "value": None}


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("client@a.test", 404),
        ("manager@a.test", 404),
        ("demand@a.test", 404),
        ("client@b.test", 200),
        ("admin@a.test", 200),
    ],
)
def test_bill_comparison_download_checks_access(client, db, world, email, status):
    theirs = earlier_invoice(db, world.other_invoice)
    sign_in(client, email)
    response = client.get(f"/download/bill-comparison.pdf?a={theirs}&b={world.other_invoice}")
    assert response.status_code == status
    if status == 200:
        assert response.data.startswith(b"%PDF")


def test_overview_and_portfolio_show_the_forecast(app, client, world):
    sign_in(client, "client@a.test")
    overview = _page(client, "/overview")
    # 13 months of data: a forecast needs 15
    assert '"id":"overview-forecast"' in overview.replace(" ", "")
    assert "Not enough history" in overview
    manager = app.server.test_client()
    sign_in(manager, "manager@a.test")
    portfolio = _page(manager, "/portfolio")
    assert '"forecast":"Notenoughhistory"' in portfolio.replace(" ", "")
    assert '"id":"portfolio-expected"' in portfolio.replace(" ", "")
    assert world.other_name not in portfolio


def _notes_and_managers(db) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    from db.models import CustomerNote, ManagerAssignment

    with db.session() as session:
        notes = session.execute(select(CustomerNote.customer_id, CustomerNote.text)).all()
        managers = session.execute(
            select(ManagerAssignment.customer_id, ManagerAssignment.manager_id).order_by(
                ManagerAssignment.customer_id
            )
        ).all()
    return [tuple(n) for n in notes], [tuple(m) for m in managers]


@pytest.mark.parametrize("email", ["client@a.test", "client@b.test", "manager@a.test"])
def test_forged_notes_and_reassignments_change_nothing(client, db, world, email):
    """A client (even of the customer itself) never writes a note; a manager not of CB writes
    none on it; only an admin reassigns."""
    before = _notes_and_managers(db)
    sign_in(client, email)
    with db.session() as session:
        manager_id = session.scalar(select(User.id).where(User.email == "manager@a.test"))
    for customer in ("CB", "CA"):
        inputs, state = SCENARIOS[NOTE_ADD]
        call(client, NOTE_ADD, inputs, {**state, "customer-id.data": customer})
        inputs, state = SCENARIOS[REASSIGN]
        call(
            client,
            REASSIGN,
            inputs,
            {**state, "customer-id.data": customer, "customer-manager.value": str(manager_id)},
        )
    after = _notes_and_managers(db)
    if email == "manager@a.test":  # its own customer CA takes the note; CB does not
        assert after == ([("CA", "forged note")], before[1])
    else:
        assert after == before


def test_an_admin_reassigns_on_the_customer_page_and_a_client_id_is_refused(client, db, world):
    sign_in(client, "admin@a.test")
    with db.session() as session:
        manager_id = session.scalar(select(User.id).where(User.email == "manager@a.test"))
        client_id = session.scalar(select(User.id).where(User.email == "client@b.test"))
    inputs, state = SCENARIOS[REASSIGN]
    refused = call(client, REASSIGN, inputs, {**state, "customer-manager.value": str(client_id)})
    assert "Choose another active account manager" in refused.get_data(as_text=True)
    done = call(client, REASSIGN, inputs, {**state, "customer-manager.value": str(manager_id)})
    assert "Reassigned" in done.get_data(as_text=True)
    assert ("CB", manager_id) in _notes_and_managers(db)[1]


def test_the_week_and_the_customer_page_show_only_the_portfolio(app, client, world):
    sign_in(client, "manager@a.test")
    week = _page(client, "/week")
    assert '"id":"week-breached"' in week.replace(" ", "")
    assert world.other_name not in week
    own = _page(client, "/customer/CA")
    assert '"id":"customer-timeline"' in own.replace(" ", "")
    other = _page(client, "/customer/CB")
    assert '"id":"not-found"' in other.replace(" ", "")
    assert world.other_name not in other
    customer = app.server.test_client()
    sign_in(customer, "client@a.test")
    assert '"id":"not-allowed"' in _page(customer, "/week").replace(" ", "")
    assert '"id":"not-found"' in _page(customer, "/customer/CA").replace(" ", "")


def _decide_ven(client, registration: object, decision: str = "approve"):
    """Press a VEN registration's Approve (or Reject) button, with any registration id."""
    pressed = {"type": f"vens-{decision}", "registration": registration}
    other = "reject" if decision == "approve" else "approve"
    inputs = {
        decision: [{"id": pressed, "property": "n_clicks", "value": 1}],
        other: [],
    }
    body = {
        "output": VENS_DECIDE,
        "outputs": [
            {"id": "vens-box", "property": "children"},
            {"id": "vens-feedback", "property": "children"},
        ],
        "inputs": [inputs["approve"], inputs["reject"]],
        "state": [],
        "changedPropIds": [
            json.dumps(pressed, separators=(",", ":"), sort_keys=True) + ".n_clicks"
        ],
    }
    return client.post("/_dash-update-component", json=body)


@pytest.mark.parametrize("email", ["client@a.test", "manager@a.test"])
def test_only_demand_staff_decide_a_ven_registration(client, db, world, email):
    from db.models import VenRegistration
    from lounge.demand import openadr

    with db.session() as session:
        openadr.request_registration(session, "SB1", "AA:BB:CC")
        registration = session.scalars(select(VenRegistration.id)).one()
    sign_in(client, email)
    assert "vens-table" not in _page(client, "/vens")
    response = _decide_ven(client, registration)
    assert "SB1" not in response.get_data(as_text=True)
    with db.session() as session:
        assert session.get_one(VenRegistration, registration).state == "pending"
    staff = client.application.test_client()
    sign_in(staff, "demand@a.test")
    assert "AA:BB:CC" in _page(staff, "/vens")
    assert "Approved: SB1" in _decide_ven(staff, registration).get_data(as_text=True)
    assert "Someone decided" in _decide_ven(staff, registration, "reject").get_data(as_text=True)
    assert "vens-table" not in _decide_ven(staff, "1; drop").get_data(as_text=True)
    with db.session() as session:
        assert session.get_one(VenRegistration, registration).state == "approved"


@pytest.fixture
def reduction_world(db, world) -> dict[str, int]:
    """Past peak-load warnings: one reaching both customers' sites, one only the other's, and a
    draft (never an event) reaching the own customer."""
    ends = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=2)
    sites = {"SA1": ("CA", "South"), "SA2": ("CA", "Haifa"), "SB1": ("CB", "South")}
    ids = {}
    with db.session() as session:
        for name, state, targeted in (
            ("both", NoticeState.COMPLETED, ["SA1", "SA2", "SB1"]),
            ("other", NoticeState.COMPLETED, ["SB1"]),
            ("draft", NoticeState.DRAFT, ["SA1"]),
        ):
            notice = Notice(
                kind=NoticeKind.PEAK_WARNING,
                state=state,
                level=1,
                reason="heat",
                starts_at=ends - dt.timedelta(hours=2),
                ends_at=ends,
                created_by="demand@a.test",
            )
            session.add(notice)
            session.flush()
            session.add_all(
                NoticeTarget(
                    notice_id=notice.id,
                    site_id=site,
                    customer_id=sites[site][0],
                    region=sites[site][1],
                )
                for site in targeted
            )
            ids[name] = notice.id
    return ids


@pytest.mark.parametrize(
    ("email", "notice", "status", "seen", "unseen"),
    [
        ("client@a.test", "both", 200, ["SA1", "SA2"], ["SB1"]),
        ("client@a.test", "other", 404, [], []),
        ("client@a.test", "draft", 400, [], []),
        ("client@b.test", "both", 200, ["SB1"], ["SA1", "SA2"]),
        ("manager@a.test", "both", 200, ["SA1", "SA2"], ["SB1"]),
        ("manager@a.test", "other", 404, [], []),
        ("demand@a.test", "both", 200, ["SA1", "SA2", "SB1"], []),
        ("client@a.test", "forged:abc", 404, [], []),
        ("client@a.test", "forged:-1", 404, [], []),
        ("demand@a.test", "forged:999999", 404, [], []),
    ],
)
def test_load_reduction_downloads_show_only_the_viewers_sites(
    client, world, reduction_world, email, notice, status, seen, unseen
):
    sign_in(client, email)
    notice_id = notice.split(":")[1] if notice.startswith("forged:") else reduction_world[notice]
    for fmt in ("csv", "xlsx", "pdf"):
        response = client.get(f"/download/load-reduction/{notice_id}.{fmt}")
        assert response.status_code == status
    response = client.get(f"/download/load-reduction/{notice_id}.csv")
    text = response.data.decode("utf-8-sig")
    for site in seen:
        assert site in text
    for site in unseen:
        assert site not in text
    if status == 404:
        assert "Zebra" not in text and "Acme" not in text


def test_load_reduction_download_refuses_an_unknown_format(client, world, reduction_world):
    sign_in(client, "demand@a.test")
    assert client.get(f"/download/load-reduction/{reduction_world['both']}.exe").status_code == 404


@pytest.mark.parametrize(
    ("email", "notice", "expected"),
    [
        ("client@a.test", "other", "not-found"),
        ("manager@a.test", "other", "not-found"),
        ("client@a.test", "forged:1 OR 1=1", "not-found"),
        ("client@a.test", "forged:../admin", "not-found"),
        ("client@a.test", "draft", "reduction-not-over"),
        ("client@a.test", "both", "reduction-view"),
        ("demand@a.test", "other", "reduction-view"),
    ],
)
def test_load_reduction_page_shows_only_the_viewers_sites(
    client, world, reduction_world, email, notice, expected
):
    sign_in(client, email)
    notice_id = notice.split(":")[1] if notice.startswith("forged:") else reduction_world[notice]
    body = _page(client, f"/load-reduction/{notice_id}")
    assert f'"id":"{expected}"' in body.replace(" ", "")
    if email.startswith("client@a"):
        assert "SB1" not in body and world.other_name not in body


@pytest.mark.parametrize(
    ("email", "path", "shown", "hidden"),
    [
        ("client@a.test", "/notices", ["both"], ["other", "draft"]),
        ("client@b.test", "/notices", ["both", "other"], ["draft"]),
        ("manager@a.test", "/notices", ["both"], ["other", "draft"]),
        ("demand@a.test", "/demand", ["both", "other"], ["draft"]),
    ],
)
def test_past_warnings_link_only_the_viewers_events(
    client, world, reduction_world, email, path, shown, hidden
):
    sign_in(client, email)
    body = _page(client, path)
    links = set(re.findall(r'"past-event-(\d+)"', body))  # each links /load-reduction/<id>
    assert links == {str(reduction_world[name]) for name in shown}
    assert not links & {str(reduction_world[name]) for name in hidden}
