"""Sign-up, confirm and cancel pages: validate, call one service, commit, deliver, redirect.

A GET never changes anything (mail scanners follow links): the links in mails open a page
with one button, and the button POSTs. Every answer to a sign-up or a request for a link
is the same whoever the address belongs to, so nobody learns who else signed up.
Outside an event's sign-up window a sign-up or a confirmation gets a page that says so
(409 before the end, 410 once the event is over) and sends nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from hub.errors import render_error
from hub.extensions import csrf, db, limiter
from hub.i18n import current_language
from hub.mail import delivery
from hub.mail.compose import Links
from hub.models import Event, Festival, Registration, RegistrationStatus, SignupState
from hub.programme import queries
from hub.registration import bp, service
from hub.registration.forms import ActionForm, MeLinkForm, SignupForm, new_form_token
from hub.registration.privacy import privacy_version
from hub.security import personal
from hub.timeutil import utcnow
from hub.tokens import Purpose


def _signup_limit() -> str:
    return str(current_app.config["RATELIMIT_SIGNUP"])


def _address_limit() -> str:
    return str(current_app.config["RATELIMIT_SIGNUP_ADDRESS"])


def _signup_address_key() -> str:
    """The limit's key for the address typed into the form: hashed, so no address is stored."""
    email = request.form.get("email", "").strip().lower()
    return "address:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def commit_and_deliver() -> None:
    """Commit, then send the mail this request queued once the response has gone out.

    What is not sent then (server down, slow) stays in the outbox for ``flask hub deliver-mail``.
    """
    delivery.commit_and_deliver(db.session)


def _rollback() -> None:
    delivery.rollback(db.session)


def _event_or_404(slug: str) -> Event:
    event = queries.event_by_slug(db.session, slug)
    if event is None:
        abort(404)
    return event


@bp.app_template_global()
def signup_form_for(event: Event) -> SignupForm:
    """The sign-up form for the event page: the submitted one (with errors) or a fresh one."""
    form: SignupForm | None = g.get("signup_form")
    if form is not None and g.get("signup_form_event") == event.id:
        return form
    return SignupForm.for_event(event, formdata=None)


@bp.app_template_global()
def signup_label(event: Event) -> str:
    """What the sign-up buttons say: a full room puts in-person sign-ups on the waiting list."""
    if event.is_full and event.offers_in_person:
        return str(_("Join the waiting list"))
    return str(_("Sign up"))


@bp.app_template_global()
def signup_state(event: Event) -> str:
    """not_open, open, closed or over: what the event page shows in place of the form."""
    return event.signup_state(utcnow()).value


@bp.app_template_global()
def festival_is_over(festival: Festival | None) -> bool:
    """Whether every event of the festival has ended (its programme says so); one query."""
    if festival is None:
        return False
    last = db.session.scalar(select(func.max(Event.ends_at)).where(Event.festival_id == festival.id))
    return last is not None and last <= utcnow()


def closed_page(event: Event, exc: service.SignupClosed) -> ResponseReturnValue:
    page = render_template("registration/closed.html", event=event, message=str(exc.message), state=exc.state)
    return page, exc.status_code


@bp.app_template_global()
def signup_notice(event: Event) -> str | None:
    """A message for the whole form (e.g. it had expired), shown above it."""
    notice: str | None = g.get("signup_notice")
    return notice if g.get("signup_form_event") == event.id else None


def _event_page(event: Event, form: SignupForm, notice: str | None = None) -> str:
    g.signup_form, g.signup_form_event, g.signup_notice = form, event.id, notice
    return render_template("programme/event.html", event=event, now=utcnow())


@bp.get("/events/<slug>/register")
def register_form(slug: str) -> ResponseReturnValue:
    return redirect(url_for("programme.event", slug=slug, _anchor="signup"))


def _expired_notice() -> str:
    return str(_("The form had expired, or did not come from this site. Please check it and send it again."))


@bp.post("/events/<slug>/register")
@limiter.limit(_signup_limit, methods=["POST"])
@limiter.limit(_address_limit, methods=["POST"], key_func=_signup_address_key)
def register(slug: str) -> ResponseReturnValue:
    event = _event_or_404(slug)
    try:
        service.check_window(event, utcnow())
    except service.SignupClosed as exc:
        return closed_page(event, exc)
    form = SignupForm.for_event(event)
    if not form.validate_on_submit():
        notice = _("Please correct the marked fields and send the form again.")
        if form.expired:
            form.form_token.data = new_form_token()
            notice = _expired_notice()
        return _event_page(event, form, notice), 400
    details = service.SignupDetails(
        name=form.name.data,
        email=form.email.data,
        organisation=form.organisation.data,
        attendance=form.chosen_attendance,
        locale=current_language(),
        privacy_version=privacy_version(),
        wants_recording=form.chosen_wants_recording,
    )
    try:
        service.sign_up(
            db.session,
            event,
            details,
            now=utcnow(),
            links=Links.from_app(),
            mail_cap=int(current_app.config["MAIL_CAP_PER_HOUR"]),
        )
        commit_and_deliver()
    except IntegrityError:
        # The same address for the same event at the same moment: the other request won.
        _rollback()
    except service.SignupClosed as exc:
        _rollback()
        return closed_page(event, exc)
    except service.RegistrationError as exc:
        _rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("programme.event", slug=slug, _anchor="signup"))
    return redirect(url_for(".sent", slug=slug))


@bp.get("/events/<slug>/register/sent")
def sent(slug: str) -> ResponseReturnValue:
    return render_template("registration/sent.html", event=_event_or_404(slug))


def _link_page(registration: Registration, template: str, token: str, **context: Any) -> str:
    return render_template(
        template,
        registration=registration,
        event=registration.event,
        form=ActionForm(),
        token=token,
        waitlist_position=service.waitlist_position(db.session, registration),
        **context,
    )


def _bad_link(exc: service.InvalidLink) -> ResponseReturnValue:
    page = render_template(
        "registration/bad_link.html", message=str(exc.message), form=MeLinkForm(formdata=None)
    )
    return page, exc.status_code


def _from_link(purpose: Purpose, token: str) -> Registration:
    return service.registration_for_link(db.session, purpose, token, current_app.config)


def _act(action: Any, registration: Registration) -> None:
    """Run a service action on a registration; a refusal becomes a flashed message."""
    try:
        action(db.session, registration, now=utcnow(), links=Links.from_app())
        commit_and_deliver()
    except IntegrityError:
        _rollback()
        flash(_("Something changed at the same moment. Please try again."), "error")
    except service.RegistrationError as exc:
        _rollback()
        flash(str(exc.message), "error")


def _refused_button() -> ResponseReturnValue | None:
    """A POST of a one-button form with a stale or cross-site token: say so plainly (400)."""
    if ActionForm().validate_on_submit():
        return None
    return render_template(
        "registration/form_expired.html", message=_expired_notice(), back=request.path
    ), 400


@bp.route("/registrations/confirm/<token>", methods=["GET", "POST"])
@personal
def confirm(token: str) -> ResponseReturnValue:
    try:
        registration = _from_link(Purpose.CONFIRM, token)
    except service.InvalidLink as exc:
        return _bad_link(exc)
    state = registration.event.signup_state(utcnow())
    if registration.status == RegistrationStatus.PENDING and state != SignupState.OPEN:
        # The window closed before the address was confirmed: the link no longer works.
        return closed_page(registration.event, service.SignupClosed(state))
    if request.method == "POST":
        refused = _refused_button()
        if refused is not None:
            return refused
        _act(service.confirm, registration)
        return redirect(url_for(".confirm", token=token))
    links = Links.from_app()
    page = _link_page(
        registration,
        "registration/confirm.html",
        token,
        cancel_url=links.cancel(registration),
        me_url=links.me(registration),
    )
    return page


@bp.route("/registrations/cancel/<token>", methods=["GET", "POST"])
@personal
def cancel(token: str) -> ResponseReturnValue:
    try:
        registration = _from_link(Purpose.CANCEL, token)
    except service.InvalidLink as exc:
        return _bad_link(exc)
    if request.method == "POST":
        refused = _refused_button()
        if refused is not None:
            return refused
        _act(service.cancel, registration)
        return redirect(url_for(".cancel", token=token))
    return _link_page(registration, "registration/cancel.html", token)


@bp.route("/registrations/new-link", methods=["GET", "POST"])
def new_link() -> ResponseReturnValue:
    """The old "send me new links" form: "my sign-ups" (/me) does it now, with one mail."""
    return redirect(url_for(".me"), code=307 if request.method == "POST" else 302)


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> ResponseReturnValue:
    """An expired or forged form token: say so plainly, keep what was typed on the sign-up form."""
    notice = _expired_notice()
    if request.endpoint == "registration.register" and request.view_args:
        event = queries.event_by_slug(db.session, str(request.view_args["slug"]))
        if event is None:  # answered, not raised: an error raised in an error handler is a 500
            return render_error(NotFound())
        form = SignupForm.for_event(event)
        return _event_page(event, form, notice), 400
    return render_template("registration/form_expired.html", message=notice, back=request.path), 400


# These forms carry their own session-free token (registration/forms.py PublicForm), so a
# visitor gets no session cookie and the event page can be cached.
for _view in (register, confirm, cancel, new_link):
    csrf.exempt(_view)
