"""Organiser forms: login, and the livestream pin form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

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
