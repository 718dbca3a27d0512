"""Sign-up and link forms (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

import unicodedata
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from hub.mail.outbox import OutboxError, check_recipient
from hub.models import Attendance, Event

NAME_MAX = 200
ORGANISATION_MAX = 200
EMAIL_MAX = 254


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _none_if_empty(value: Any) -> Any:
    return value or None


def single_line(form: FlaskForm, field: Any) -> None:
    """Refuse control characters, line breaks included (names end up in mail bodies)."""
    if field.data and any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in field.data):
        raise ValidationError(_l("Please use letters, digits and punctuation only, on one line."))


def email_address(form: FlaskForm, field: Any) -> None:
    """A deliverable-looking address, normalised (no DNS lookup: the mail itself is the test)."""
    if not field.data:
        return
    try:
        result = validate_email(field.data, check_deliverability=False, allow_smtputf8=False)
        field.data = check_recipient(result.ascii_email or "")  # what the outbox will accept
    except (EmailNotValidError, OutboxError):
        raise ValidationError(_l("Please enter a valid email address, like name@example.org.")) from None


def email_field() -> EmailField:
    """The attendee's address, as the sign-up and the new-link forms ask for it."""
    return EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("An email address has at most %(max)d characters.")),
            email_address,
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


class SignupForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Please enter your name.")),
            Length(max=NAME_MAX, message=_l("Please keep your name to %(max)d characters.")),
            single_line,
        ],
        render_kw={"autocomplete": "name"},
    )
    email = email_field()
    organisation = StringField(
        _l("Organisation (optional)"),
        filters=[_strip, _none_if_empty],
        validators=[
            Optional(),
            Length(max=ORGANISATION_MAX, message=_l("Please keep the organisation to %(max)d characters.")),
            single_line,
        ],
        render_kw={"autocomplete": "organization"},
    )
    attendance = RadioField(
        _l("How will you take part?"),
        choices=[
            SelectChoice(Attendance.IN_PERSON.value, _l("In person")),
            SelectChoice(Attendance.ONLINE.value, _l("Online (livestream)")),
        ],
        default=Attendance.IN_PERSON.value,
        validate_choice=True,
    )
    consent = BooleanField(
        _l("I agree that my sign-up is stored for this event."),
        validators=[DataRequired(_l("Please agree, so that we can store your sign-up."))],
    )

    @classmethod
    def for_event(cls, event: Event, **kwargs: Any) -> SignupForm:
        """The form for one event: the attendance choice only where both modes are offered."""
        form = cls(**kwargs)
        if not (event.offers_in_person and event.offers_online):
            del form.attendance
        return form

    @property
    def chosen_attendance(self) -> Attendance | None:
        field = getattr(self, "attendance", None)
        if field is None or not field.data:
            return None
        return Attendance(field.data)


class NewLinkForm(FlaskForm):  # type: ignore[misc]
    """Ask for fresh links: the address is enough (the answer is the same for any address)."""

    email = email_field()


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A one-button form (confirm, cancel): only the CSRF token."""
