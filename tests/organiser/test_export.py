"""CSV export: what Excel and a script read back, and no formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from hub.models import Registration
from hub.organiser.export import HEADER, neutralise
from tests.organiser.conftest import T0

EVENT = "future-of-digital-health-in-norway"
URL = f"/organiser/events/{EVENT}/registrations.csv"


def _read(body: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 byte order mark for Excel"
    text = body.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_csv_has_header_bom_and_every_sign_up(
    occ_client: FlaskClient, make_registration: Callable[..., Registration]
) -> None:
    make_registration(
        EVENT,
        "Åse Ødegård",
        email="ase@example.org",
        organisation="Sykehuset Sørlandet, Arendal",
        created_at=T0,
        checked_in_at=T0 + timedelta(days=1, hours=4),
    )
    make_registration(EVENT, "Yngve Venter", email="y@example.org", status="waitlisted", attendance="online")
    make_registration(EVENT, "Pål Pending", email="p@example.org", status="pending")

    response = occ_client.get(URL)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (f'attachment; filename="{EVENT}-registrations.csv"')
    assert response.get_data().split(b"\r\n")[0] == "\ufeff".encode() + ",".join(HEADER).encode()
    rows = _read(response.get_data())
    assert [r["name"] for r in rows] == ["Åse Ødegård", "Yngve Venter", "Pål Pending"]
    ase, yngve, paal = rows
    assert ase == {
        "name": "Åse Ødegård",
        "email": "ase@example.org",
        "organisation": "Sykehuset Sørlandet, Arendal",
        "attendance": "in_person",
        "status": "confirmed",
        "signed_up_at": "2023-08-15T09:00:00+02:00",
        "confirmed_at": "2023-08-15T09:02:00+02:00",
        "checked_in_at": "2023-08-16T13:00:00+02:00",
        "waitlist_position": "",
    }
    assert (yngve["status"], yngve["attendance"], yngve["waitlist_position"]) == ("waitlisted", "online", "1")
    assert (paal["status"], paal["confirmed_at"]) == ("pending", "")


def test_semicolon_variant_for_excel_with_norwegian_settings(
    occ_client: FlaskClient, make_registration: Callable[..., Registration]
) -> None:
    make_registration(EVENT, "Kari Nordmann", organisation="A; B")
    rows = _read(occ_client.get(URL + "?sep=semicolon").get_data(), delimiter=";")
    assert rows[0]["organisation"] == "A; B"


def test_formulas_in_sign_up_fields_are_neutralised(
    occ_client: FlaskClient, make_registration: Callable[..., Registration]
) -> None:
    make_registration(EVENT, '=HYPERLINK("http://evil.example","click")', organisation="+47 123")
    make_registration(EVENT, "@SUM(A1:A9)", organisation="-2+3")
    make_registration(EVENT, "\tTabbed", organisation="\rReturn")
    rows = _read(occ_client.get(URL).get_data())
    cells = [(r["name"], r["organisation"]) for r in rows]
    assert cells == [
        ('\'=HYPERLINK("http://evil.example","click")', "'+47 123"),
        ("'@SUM(A1:A9)", "'-2+3"),
        ("'\tTabbed", "'\rReturn"),
    ]


def test_neutralise_leaves_plain_text_alone() -> None:
    assert neutralise("Kari Nordmann") == "Kari Nordmann"
    assert neutralise("") == ""
    assert neutralise("a=b") == "a=b"
    assert neutralise("=1+1") == "'=1+1"


def test_empty_event_exports_the_header_only(occ_client: FlaskClient, programme: object) -> None:
    body = occ_client.get(URL).get_data()
    assert _read(body) == []
    assert body.decode("utf-8-sig").strip() == ",".join(HEADER)


def test_the_csv_follows_the_interface_language_with_distinct_file_names(
    occ_client: FlaskClient, make_registration: Callable[..., Registration]
) -> None:
    make_registration(EVENT, "Kari Nordmann", email="kari@example.org")
    make_registration(
        EVENT, "Sofie Berg", email="sofie@example.org", status="waitlisted", attendance="online"
    )
    comma = occ_client.get(URL)
    semicolon = occ_client.get(URL + "?sep=semicolon")
    assert comma.headers["Content-Disposition"] != semicolon.headers["Content-Disposition"]
    assert (
        semicolon.headers["Content-Disposition"]
        == f'attachment; filename="{EVENT}-registrations-semicolon.csv"'
    )

    occ_client.get("/?lang=nb")
    rows = _read(occ_client.get(URL + "?sep=semicolon").get_data(), delimiter=";")
    assert list(rows[0])[:5] == ["navn", "e-post", "organisasjon", "deltakelse", "status"]
    by_name = {row["navn"]: row for row in rows}
    assert (by_name["Kari Nordmann"]["status"], by_name["Kari Nordmann"]["deltakelse"]) == (
        "bekreftet",
        "fysisk",
    )
    assert (by_name["Sofie Berg"]["status"], by_name["Sofie Berg"]["deltakelse"]) == (
        "venteliste",
        "digitalt",
    )
