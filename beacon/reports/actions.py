"""Writes of board packs: generate one, keep the monthly schedule, send the scheduled ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import transaction

from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.notifications.actions import do_queue_email
from beacon.orgs.events import record_event
from beacon.orgs.models import Membership, Organization
from beacon.reports.events import ReportEvent
from beacon.reports.models import BoardPack, PackSchedule
from beacon.reports.pack import pack_figures, render_pdf

MAX_PACK_DAYS = 366


def pack_path(pack: BoardPack) -> Path:
    return Path(settings.DATA_DIR) / "packs" / str(pack.organization_id) / f"{pack.pk}.pdf"


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationFailed({"end": "must be on or after the start"})
    if (end - start).days + 1 > MAX_PACK_DAYS:
        raise ValidationFailed({"end": f"a pack covers at most {MAX_PACK_DAYS} days"})


def do_generate_pack(
    org: Organization, start: dt.date, end: dt.date, *, actor: Membership | None = None
) -> BoardPack:
    """Render the PDF first, then store the row and the file together."""
    check_period(start, end)
    pdf, pages = render_pdf(pack_figures(org, start, end))
    with transaction.atomic():
        pack = BoardPack.objects.create(
            organization=org, start=start, end=end, generated_by=actor, pages=pages
        )
        path = pack_path(pack)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        record_event(org, ReportEvent.PACK_GENERATED, pack, actor=actor, start=str(start))
    return pack


@transaction.atomic
def do_save_schedule(
    org: Organization,
    *,
    day: int,
    recipients: list[Membership],
    active: bool,
    actor: Membership | None = None,
) -> PackSchedule:
    if not 1 <= day <= 28:
        raise ValidationFailed({"day": "must be between 1 and 28 (every month has it)"})
    if any(m.organization_id != org.pk for m in recipients):
        raise ValidationFailed({"recipients": "must be members of this organisation"})
    schedule, _ = PackSchedule.objects.update_or_create(
        organization=org, defaults={"day": day, "active": active}
    )
    schedule.recipients.set(recipients)
    record_event(
        org,
        ReportEvent.PACK_SCHEDULED,
        schedule,
        actor=actor,
        day=day,
        active=active,
        recipients=[m.pk for m in recipients],
    )
    return schedule


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today.replace(day=1)
    end = first - dt.timedelta(days=1)
    return end.replace(day=1), end


def _claim_month(schedule: PackSchedule, month: dt.date) -> bool:
    # Compare-and-set: two workers running the sweep send the month once.
    claimed = PackSchedule.objects.filter(pk=schedule.pk, active=True).exclude(
        last_sent_month=month
    )
    return bool(claimed.update(last_sent_month=month))


def do_send_scheduled_packs(today: dt.date | None = None) -> int:
    """Every active schedule whose day has come this month: last month's pack, emailed."""
    today = today or clock.now().date()
    month = today.replace(day=1)
    sent = 0
    due = PackSchedule.objects.filter(active=True, day__lte=today.day).exclude(
        last_sent_month=month
    )
    for schedule in due.select_related("organization"):
        if not _claim_month(schedule, month):
            continue
        start, end = previous_month(today)
        pack = do_generate_pack(schedule.organization, start, end)
        do_email_pack(pack, list(schedule.recipients.select_related("user")))
        sent += 1
    return sent


@transaction.atomic
def do_email_pack(pack: BoardPack, recipients: list[Membership]) -> int:
    """A link, not an attachment: the PDF stays behind sign-in."""
    url = f"{settings.BASE_URL}/reports/packs/{pack.pk}.pdf"
    period = f"{pack.start:%d %b %Y} to {pack.end:%d %b %Y}"
    for member in recipients:
        do_queue_email(
            pack.organization_id,
            to=member.user.email,
            subject=f"Board pack: {period}",
            text=(
                f"The board pack for {period} is ready ({pack.pages} pages).\n\n"
                f"Open it here (sign-in needed): {url}\n"
            ),
            cause=pack,
            key=f"pack:{pack.pk}:{member.pk}",
        )
    record_event(pack.organization_id, ReportEvent.PACK_SENT, pack, to=[m.pk for m in recipients])
    return len(recipients)
