"""Choosing which of one's organisations to look at."""

from __future__ import annotations

from typing import Any

from beacon.orgs.models import Organization
from beacon.orgs.queries import memberships_of
from beacon.web.forms.common import OrgChoiceField, PostForm


class SwitchOrgForm(PostForm):
    org = OrgChoiceField(
        Organization, "not a member of that organisation", scoped=False, required=True
    )

    def __init__(self, org: Organization | int, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(org, *args, **kwargs)
        field: Any = self.fields["org"]
        ids = [m.organization_id for m in memberships_of(user)]
        field.queryset = Organization.objects.filter(pk__in=ids)
