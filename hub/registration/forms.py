"""Sign-up and link forms (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

import unicodedata
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadData, TimestampSigner
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectChoice, StringField
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
    """The attendee's address, as the sign-up and the "my sign-ups" forms ask for it."""
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


FORM_TOKEN_SALT = "hub.public-form"  # noqa: S105 (a salt that names the purpose, not a secret)
FORM_TOKEN_VALUE = b"public-form"


def _signer() -> TimestampSigner:
    return TimestampSigner(str(current_app.config["SECRET_KEY"]), salt=FORM_TOKEN_SALT)


def new_form_token() -> str:
    """A signed, time-stamped token that needs no server session (the page can be cached)."""
    return _signer().sign(FORM_TOKEN_VALUE).decode()


def valid_form_token(form: FlaskForm, field: Any) -> None:
    # Cross-site POSTs never get here: hub/security.py refuses them for every form first.
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    sent = field.raw_data[0] if field.raw_data else ""  # never the default a fresh form gets
    try:
        _signer().unsign(str(sent), max_age=int(current_app.config["PUBLIC_FORM_MAX_AGE"]))
    except BadData:
        raise ValidationError(_l("The form has expired. Please send it again.")) from None


class PublicForm(FlaskForm):  # type: ignore[misc]
    """A form a visitor without a session sends (sign-up, confirm, cancel, new links).

    Instead of Flask-WTF's session-bound CSRF token (which would set a cookie on every
    public page, so no shared cache could hold it), it carries a signed, time-limited token;
    a POST the browser says came from another site is refused before it gets here (the
    Origin / Sec-Fetch-Site check in hub/security.py). The organiser area keeps the normal
    session CSRF.
    """

    class Meta:
        csrf = False

    form_token = HiddenField(validators=[valid_form_token], default=new_form_token)

    @property
    def expired(self) -> bool:
        return "form_token" in self.errors


def is_streamed(event: Event) -> bool:
    """Offers online attendance or has a linked video: there will be a recording to mail."""
    return event.offers_online or bool(event.livestream and event.livestream.video_id)


def name_field() -> StringField:
    return StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Please enter your name.")),
            Length(max=NAME_MAX, message=_l("Please keep your name to %(max)d characters.")),
            single_line,
        ],
        render_kw={"autocomplete": "name"},
    )


def organisation_field() -> StringField:
    return StringField(
        _l("Organisation (optional)"),
        filters=[_strip, _none_if_empty],
        validators=[
            Optional(),
            Length(max=ORGANISATION_MAX, message=_l("Please keep the organisation to %(max)d characters.")),
            single_line,
        ],
        render_kw={"autocomplete": "organization"},
    )


class SignupForm(PublicForm):
    name = name_field()
    email = email_field()
    organisation = organisation_field()
    attendance = RadioField(
        _l("How will you take part?"),
        choices=[
            SelectChoice(Attendance.IN_PERSON.value, _l("In person")),
            SelectChoice(Attendance.ONLINE.value, _l("Online (livestream)")),
        ],
        default=Attendance.IN_PERSON.value,
        validate_choice=True,
    )
    wants_recording = BooleanField(
        _l("In person: also email me when the recording is ready"),
        default=False,
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
        if not (event.offers_in_person and is_streamed(event)):
            del form.wants_recording
        return form

    @property
    def chosen_wants_recording(self) -> bool:
        field = getattr(self, "wants_recording", None)
        return bool(field is not None and field.data)

    @property
    def chosen_attendance(self) -> Attendance | None:
        field = getattr(self, "attendance", None)
        if field is None or not field.data:
            return None
        return Attendance(field.data)


class MeLinkForm(PublicForm):
    """Ask for the "my sign-ups" link: the address is enough (the answer is the same for any)."""

    email = email_field()


class DetailsForm(PublicForm):
    """The owner corrects the name and organisation of a sign-up (from their own link)."""

    name = name_field()
    organisation = organisation_field()


class EraseForm(PublicForm):
    """Erasing cannot be undone: the person ticks that they mean it."""

    confirm = BooleanField(
        _l("Yes, erase all my sign-ups and everything you hold about this address."),
        validators=[DataRequired(_l("Please tick the box to confirm that you want your data erased."))],
    )


class ActionForm(PublicForm):
    """A one-button form (confirm, cancel): only the form token."""
