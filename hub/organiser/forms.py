"""Organiser forms: login, passwords, invitations, the livestream pin, event edits, mail to attendees."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

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
