"""The public programme as a visitor sees it, against the shipped Arendalsuka 2023 data."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient

pytestmark = pytest.mark.usefixtures("programme")


def text_of(response: Any) -> str:
    """The page's visible text, tags stripped and whitespace folded."""
    html = re.sub(r"</?(time|span)\b[^>]*>", "", response.get_data(as_text=True))
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def titles(response: Any) -> list[str]:
    return [
        unescape(t)
        for t in re.findall(r'<h3 lang="\w+"><a href="[^"]+">([^<]+)</a>', response.get_data(as_text=True))
    ]


def test_programme_lists_the_four_events_by_day_with_times_and_venues(client: FlaskClient) -> None:
    page = text_of(client.get("/?lang=nb"))
    tuesday, wednesday = page.index("tirsdag 15. august 2023"), page.index("onsdag 16. august 2023")
    assert tuesday < page.index("Fremtidens kreftbehandling") < wednesday
    assert tuesday < page.index("Medisinsk innovasjon etter Inflation Reduction Act") < wednesday
    assert wednesday < page.index("The Future of Digital Health in Norway: Leading the Way")
    assert "08:00–09:00" in page
    assert "14:30–15:30" in page
    assert "13:30–14:30" in page
    assert "16:30–17:30" in page
    assert page.count("Clarion Hotel Tyholmen Sal A") >= 3
    assert "Rygerelektra" in page
    assert "@OsloCancerCluster" in page


def test_programme_in_english(client: FlaskClient) -> None:
    response = client.get("/?lang=en")
    page = text_of(response)
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "Tuesday 15 August 2023" in page
    assert "Wednesday 16 August 2023" in page
    assert "All venues" in page
    # Event content keeps its own language, marked with lang.
    assert '<h3 lang="nb"><a href="/events/fremtidens-kreftbehandling">' in response.get_data(as_text=True)


def test_accept_language_picks_the_interface_language(client: FlaskClient) -> None:
    assert "All venues" in text_of(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}))
    assert "Alle steder" in text_of(client.get("/", headers={"Accept-Language": "no,en;q=0.5"}))


def test_language_choice_is_remembered(client: FlaskClient) -> None:
    client.get("/?lang=en")
    assert "All venues" in text_of(client.get("/", headers={"Accept-Language": "nb"}))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "day=2023-08-15",
            ["Fremtidens kreftbehandling", "Medisinsk innovasjon etter Inflation Reduction Act"],
        ),
        ("venue=rygerelektra", ["The Future of Digital Health in Norway: Leading the Way"]),
        (
            "organiser=connect",
            ["Kan persontilpasset medisin bidra til å løse ressurskrisen i helsetjenesten?"],
        ),
        ("organiser=photocure", ["Medisinsk innovasjon etter Inflation Reduction Act"]),
        ("q=McAdam", ["The Future of Digital Health in Norway: Leading the Way"]),  # a speaker
        ("q=samfunnsoppdraget", ["Fremtidens kreftbehandling"]),  # description
        ("q=janssen", ["Fremtidens kreftbehandling"]),  # an organiser
        ("q=DIGITAL+health", ["The Future of Digital Health in Norway: Leading the Way"]),
        (
            "q=ressurskrisen&day=2023-08-16&venue=clarion-hotel-tyholmen-sal-a",
            ["Kan persontilpasset medisin bidra til å løse ressurskrisen i helsetjenesten?"],
        ),
        ("q=nothing-matches-this", []),
    ],
)
def test_filters_and_search(client: FlaskClient, query: str, expected: list[str]) -> None:
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    assert titles(response) == expected


def test_oslo_cancer_cluster_organises_three_events(client: FlaskClient) -> None:
    assert len(titles(client.get("/?organiser=oslo-cancer-cluster"))) == 3


def test_bad_filter_values_get_a_message_not_an_error(client: FlaskClient) -> None:
    response = client.get("/?day=15.08.2023&lang=en")
    assert response.status_code == 200
    assert "That day is not a date" in text_of(response)
    assert len(titles(response)) == 4
    assert client.get("/?venue=nowhere&organiser=%27").status_code == 200
    # A NUL is never text: a clear 400 page, not a 500 from the database.
    refused = client.get("/?venue=nowhere&organiser=%00%27")
    assert refused.status_code == 400
    assert "control characters" in refused.text


def test_event_page_has_all_details(client: FlaskClient) -> None:
    response = client.get("/events/future-of-digital-health-in-norway?lang=en")
    assert response.status_code == 200
    page = text_of(response)
    assert "Wednesday 16 August 2023, 13:30–14:30" in page
    assert "Rygerelektra" in page
    for organiser in ["Oslo Cancer Cluster", "Norway Health Tech", "Norwegian Smart Care Cluster", "DNV"]:
        assert organiser in page
    assert "Digital solutions offer significant potential" in page
    assert "Add to calendar" in page
    body = response.get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    agenda = [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", re.sub(r"</?span[^>]*>", "", r))).split()) for r in rows
    ]
    assert len(agenda) == 9
    assert agenda[0].startswith("13:30 Introduction and Moderation Stephen McAdam, DNV")
    assert agenda[1].startswith("13:35 Norges strategi for implementering av digitale helse teknologier")
    assert "Lucie Aunan, Divisjonsdirektør at Direktoratet for eHelse" in agenda[1]
    assert agenda[3].startswith("13:45 Sleepio: Experience from the UK and Other Countries (Video)")
    assert agenda[-1].startswith("14:30 Closing Remarks")


def test_event_page_shows_the_news_recap_with_quotes(client: FlaskClient) -> None:
    page = text_of(client.get("/events/fremtidens-kreftbehandling"))
    assert "Velkommen til frokostseminar om samfunnsoppdraget kreft." in page
    assert "We need to attract the big companies" in page
    assert "Cathrine Lofthus" in page
    assert "Secretary General of the Ministry of Health and Care Services" in page
    connect = text_of(client.get("/events/persontilpasset-medisin-og-ressurskrisen"))
    assert "Ulrich Spreng" in connect
    assert "This is very exciting for New Methods!" in connect


def test_unknown_event_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/events/no-such-event?lang=en")
    assert response.status_code == 404
    assert "We could not find that page" in text_of(response)
    assert 'class="site-header"' in response.get_data(as_text=True)


def test_security_headers_allow_only_the_nocookie_player(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_asset_comes_from_another_host(client: FlaskClient) -> None:
    html = client.get("/events/fremtidens-kreftbehandling").get_data(as_text=True)
    for attribute in re.findall(r'(?:src|href)="([^"]+)"', html):
        if attribute.startswith("http"):
            # Plain links to YouTube are fine; nothing is loaded from elsewhere.
            assert not re.search(r"<(script|link|img)[^>]+" + re.escape(attribute), html), attribute


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "query",
    ["endpoint=x", "_method=POST", "_external=1&_scheme=javascript", "day=0001-01-01", "day=9999-12-31"],
)
def test_crafted_query_strings_get_the_page_not_an_error(client: FlaskClient, query: str) -> None:
    for path in ("/", "/events/fremtidens-kreftbehandling"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, (path, query)
        html = response.get_data(as_text=True)
        # The language switch keeps the page and its query, as a relative link.
        switch = re.findall(r'href="([^"]*)" hreflang', html)[0]
        assert switch.startswith(f"{path}?")


def test_language_switch_keeps_the_filters(client: FlaskClient) -> None:
    html = client.get("/?venue=rygerelektra&q=health&lang=nb").get_data(as_text=True)
    assert 'href="/?venue=rygerelektra&amp;q=health&amp;lang=en" hreflang="en"' in html
