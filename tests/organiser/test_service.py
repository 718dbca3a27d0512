"""Check-in rules without HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from hub.extensions import db
from hub.models import Registration, RegistrationStatus
from hub.organiser.service import CheckInError, check_in, undo_check_in
from tests.organiser.conftest import T0

EVENT = "future-of-digital-health-in-norway"


def test_check_in_sets_the_time_once(
    make_registration: Callable[..., Registration], programme: object
) -> None:
    person = make_registration(EVENT, "Kari")
    assert check_in(db.session, person, T0) is True
    assert check_in(db.session, person, T0 + timedelta(minutes=5)) is False
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Registration, person.id).checked_in_at == T0


def test_undo_clears_it(make_registration: Callable[..., Registration], programme: object) -> None:
    person = make_registration(EVENT, "Kari", checked_in_at=T0)
    assert undo_check_in(db.session, person) is True
    assert undo_check_in(db.session, person) is False
    assert person.checked_in_at is None


@pytest.mark.parametrize("status", ["pending", "waitlisted", "cancelled"])
def test_only_confirmed_check_in(
    make_registration: Callable[..., Registration], programme: object, status: str
) -> None:
    person = make_registration(EVENT, "Kari", status=status)
    with pytest.raises(CheckInError) as caught:
        check_in(db.session, person, T0)
    assert caught.value.status == RegistrationStatus(status)
    assert person.checked_in_at is None
