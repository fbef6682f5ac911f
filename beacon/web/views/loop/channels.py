"""Channels: where cases and verbatims are posted (Slack, Teams, a webhook)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from beacon.core.errors import ValidationFailed
from beacon.loop.channels import do_create_channel
from beacon.loop.models import Channel, ChannelEvent, ChannelKind
from beacon.loop.queries import channel_log
from beacon.orgs.models import Membership, Role
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads, values
from beacon.web.forms.loop import ChannelForm


@staff_view
@require_http_methods(["GET", "POST"])
@reads(ChannelForm)
def channels(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    org = member.organization_id
    errors: dict[str, str] = {}
    shown: dict[str, str] = {}
    created: Channel | None = None
    if request.method == "POST":
        form = ChannelForm(org, request.POST)
        shown = values(form)
        try:
            form.checked()
            created = do_create_channel(org, **form.cleaned_data, actor=member)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            shown = {}
    context = {
        # Each with its latest posts: a receiver that is down or a host that does not
        # resolve (checked again at every send) shows here, not only in the worker's log.
        "channels": [
            (channel, channel_log(org, channel))
            for channel in Channel.objects.for_org(org).order_by("name")
        ],
        "kinds": ChannelKind.choices,
        "events": ChannelEvent.choices,
        "created": created,
        "errors": errors,
        "values": shown,
    }
    status = 400 if errors else 200
    return render_page(
        request, member, "web/loop/channels.html", context, status=status, nav="channels"
    )
