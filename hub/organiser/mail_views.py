"""Mail to an event's attendees: compose, preview with the count, send through the outbox."""

from __future__ import annotations

from typing import cast

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from hub.extensions import db
from hub.mail.compose import Links
from hub.models import Account
from hub.organiser import attendee_mail, bp
from hub.organiser.access import event_or_404
from hub.organiser.forms import AttendeeMailForm
from hub.registration.views import commit_and_deliver
from hub.timeutil import utcnow


def _account() -> Account:
    return cast(Account, current_user._get_current_object())


@bp.route("/events/<slug>/mail", methods=["GET", "POST"])
def mail_attendees(slug: str) -> ResponseReturnValue:
    event = event_or_404(db.session, _account(), slug)
    form = AttendeeMailForm()
    now = utcnow()
    limit = attendee_mail.per_hour_limit()
    preview = None
    count = None
    if form.validate_on_submit():
        subject = (form.subject.data or "").strip()
        body = (form.body.data or "").replace("\r\n", "\n").strip()
        audience = attendee_mail.Audience(
            statuses=tuple(s for s in attendee_mail.STATUSES if s in (form.statuses.data or [])),
            attendance=tuple(a for a in attendee_mail.ATTENDANCE if a in (form.attendance.data or [])),
            checked_in_only=bool(form.checked_in_only.data),
        )
        links = Links.from_app()
        if request.form.get("step") == "send":
            try:
                record = attendee_mail.send(
                    db.session,
                    event,
                    subject=subject,
                    body=body,
                    audience=audience,
                    account=_account(),
                    links=links,
                    now=now,
                    per_hour=limit,
                )
            except attendee_mail.MailRefused as exc:
                db.session.rollback()
                messages = {
                    "limit": _(
                        "This event has had %(n)d mails in the last hour, the most allowed. Try again later.",
                        n=limit,
                    ),
                    "duplicate": _("This mail was sent to this event's attendees within the last hour."),
                    "nobody": _("Nobody is in the chosen groups."),
                }
                flash(messages[exc.reason], "error")
            else:
                commit_and_deliver()
                flash(_("The mail is on its way to %(n)d attendees.", n=record.recipients), "success")
                return redirect(url_for("organiser.mail_attendees", slug=slug))
        else:
            count = len(attendee_mail.recipients(db.session, event, audience))
            preview = attendee_mail.compose(event, subject, body, links, None)
    return render_template(
        "organiser/mail.html",
        event=event,
        form=form,
        preview=preview,
        count=count,
        history=attendee_mail.history(db.session, event),
        sent_this_hour=attendee_mail.sent_this_hour(db.session, event, now),
        limit=limit,
    )
