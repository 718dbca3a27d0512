"""Organiser forms: login, passwords, invitations, the livestream pin, event edits, mail to attendees."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from hub.organiser.accounts import MAX_PASSWORD_LENGTH


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = StringField(
        _l("Email"),
        validators=[DataRequired(message=_l("Enter your email address.")), Length(max=254)],
        render_kw={"autocomplete": "username", "type": "email", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class PinForm(FlaskForm):  # type: ignore[misc]
    video = StringField(
        _l("YouTube link or video id"),
        validators=[DataRequired(message=_l("Paste a YouTube link or a video id.")), Length(max=500)],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )


class NewPasswordForm(FlaskForm):  # type: ignore[misc]
    """Choose a password (invitation or reset); the account rules are checked by the service."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Choose a password.")), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        _l("The same password again"),
        validators=[
            DataRequired(message=_l("Type the password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ResetRequestForm(FlaskForm):  # type: ignore[misc]
    email = StringField(
        _l("Email"),
        validators=[DataRequired(message=_l("Enter your email address.")), Length(max=254)],
        render_kw={"autocomplete": "username", "type": "email", "spellcheck": "false"},
    )


class InviteForm(FlaskForm):  # type: ignore[misc]
    email = StringField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter the email address of the person to invite.")),
            Length(max=254),
            Email(message=_l("That is not an email address."), check_deliverability=False),
        ],
        render_kw={"type": "email", "spellcheck": "false", "autocomplete": "off"},
    )
    organisers = SelectMultipleField(_l("Organisers whose events the account sees"), coerce=int)
    admin = BooleanField(_l("Administrator (sees every event, manages accounts)"))

    def validate_organisers(self, field: SelectMultipleField) -> None:
        if not field.data and not self.admin.data:
            raise ValidationError(_l("Choose at least one organiser, or make the account an administrator."))


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """Several choices as checkboxes (rendered as a fieldset by macros/forms.html)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EventForm(FlaskForm):  # type: ignore[misc]
    """An event's details as an organiser edits them; times are Oslo local time."""

    title = StringField(
        _l("Title"), validators=[DataRequired(message=_l("Give the event a title.")), Length(max=300)]
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=20_000)], render_kw={"rows": 8})
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Give the date and time the event starts."))],
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Give the date and time the event ends."))],
    )
    venue_name = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    venue_address = StringField(_l("Venue address"), validators=[Optional(), Length(max=300)])
    capacity = IntegerField(
        _l("Seats in the room"),
        validators=[
            Optional(),
            NumberRange(min=0, max=100_000, message=_l("Give a number of seats from 0 to 100,000.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    attendance = MultiCheckboxField(
        _l("Attendance"),
        choices=[("in_person", _l("In person")), ("online", _l("Online"))],
        validators=[DataRequired(message=_l("Choose at least one way to attend."))],
    )
    notify = BooleanField(_l("Mail the attendees about a change of time, venue or attendance"), default=True)

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_venue_name(self, field: StringField) -> None:
        if not (field.data or "").strip() and "in_person" in (self.attendance.data or []):
            raise ValidationError(_l("An event with in-person attendance needs a venue."))


class WalkInForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Enter the person's name.")), Length(max=200)]
    )
    email = StringField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter the person's email address.")),
            Length(max=254),
            Email(message=_l("That is not an email address."), check_deliverability=False),
        ],
        render_kw={"type": "email", "spellcheck": "false", "autocomplete": "off"},
    )
    organisation = StringField(_l("Organisation (optional)"), validators=[Optional(), Length(max=200)])


class AttendeeMailForm(FlaskForm):  # type: ignore[misc]
    """A plain-text mail to some of an event's attendees."""

    subject = StringField(
        _l("Subject"), validators=[DataRequired(message=_l("Write a subject.")), Length(max=150)]
    )
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(message=_l("Write the message.")), Length(max=10_000)],
        render_kw={"rows": 10},
    )
    statuses = MultiCheckboxField(
        _l("Who"),
        choices=[("confirmed", _l("Confirmed")), ("waitlisted", _l("On the waiting list"))],
        default=["confirmed"],
        validators=[DataRequired(message=_l("Choose at least one group."))],
    )
    attendance = MultiCheckboxField(
        _l("Attending"),
        choices=[("in_person", _l("In person")), ("online", _l("Online"))],
        default=["in_person", "online"],
        validators=[DataRequired(message=_l("Choose in person, online or both."))],
    )
    checked_in_only = BooleanField(_l("Only those checked in at the door"))


class NewEventForm(EventForm):
    """An admin adds an event: the edit form plus language and organisers."""

    language = SelectField(_l("Language"), choices=[("nb", _l("Norwegian")), ("en", _l("English"))])
    organisers = SelectMultipleField(
        _l("Organisers"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose at least one organiser."))],
    )
