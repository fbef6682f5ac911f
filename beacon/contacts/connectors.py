"""Ready-made inbound mappings for the common help desks.

Each connector is a starting point for an inbound webhook: where the help desk puts the
requester (-> contact), the agent (-> staff member, by email), the group (-> team, by name)
and the channel (-> touchpoint, by name), and which ticket status makes an interaction
(solved or closed: the moment to ask how it went). The admin picks one from a list when
adding a webhook; every path stays editable before and after.

Field names follow each product's documentation (cited per connector). Where the product
lets the admin write the body (Zendesk, Freshdesk, HubSpot, Salesforce flows), `body` is
the JSON to paste into the help desk, built from that product's documented placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from beacon.contacts.signatures import Scheme


@dataclass(frozen=True)
class Connector:
    key: str
    name: str
    doc: str  # where the payload format is documented
    mapping: dict[str, str]
    only_when_path: str
    only_when_values: tuple[str, ...]
    setup: str  # what to set up in the help desk, in one paragraph
    body: str = ""  # the JSON body to configure, when the help desk lets you write it
    notes: list[str] = field(default_factory=list)
    # How the help desk proves the body is its own (contacts.signatures.Scheme).
    signature: str = Scheme.TOKEN


CONNECTORS: dict[str, Connector] = {
    c.key: c
    for c in (
        # Zendesk trigger "Ticket status is Solved" -> notify active webhook, with a JSON body
        # of Zendesk placeholders: https://support.zendesk.com/hc/en-us/articles/4408886858138
        # (placeholders reference) and
        # https://developer.zendesk.com/documentation/webhooks/creating-and-monitoring-webhooks/
        Connector(
            key="zendesk",
            name="Zendesk",
            doc="https://support.zendesk.com/hc/en-us/articles/4408886858138",
            mapping={
                "contact_id": "ticket.requester.id",
                "email": "ticket.requester.email",
                "name": "ticket.requester.name",
                "staff": "ticket.assignee.email",
                "team": "ticket.group.name",
                "touchpoint": "ticket.via",
                "occurred_at": "ticket.updated_at",
                "idempotency_key": "ticket.id",
                "description": "ticket.title",
            },
            only_when_path="ticket.status",
            only_when_values=("solved", "closed"),
            setup=(
                "In Zendesk Admin Center add a webhook (POST, JSON) to the URL below, then a "
                "trigger with the condition 'Ticket status changed to Solved' whose action "
                "notifies that webhook with this body. Then copy the webhook's signing "
                "secret from Zendesk into this webhook's signing settings in Beacon."
            ),
            signature=Scheme.ZENDESK,
            body=(
                '{"ticket": {"id": "{{ticket.id}}", "status": "{{ticket.status}}", '
                '"title": "{{ticket.title}}", "via": "{{ticket.via}}", '
                '"updated_at": "{{ticket.updated_at_with_timestamp}}", '
                '"requester": {"id": "{{ticket.requester.id}}", '
                '"email": "{{ticket.requester.email}}", "name": "{{ticket.requester.name}}"}, '
                '"assignee": {"email": "{{ticket.assignee.email}}"}, '
                '"group": {"name": "{{ticket.group.name}}"}}}'
            ),
        ),
        # Freshdesk automation rule "Ticket is updated: Status changed to Resolved" -> Trigger
        # webhook, content "Simple" with the chosen ticket placeholders, which Freshdesk sends
        # under "freshdesk_webhook" with underscored names:
        # https://support.freshdesk.com/support/solutions/articles/132589-using-webhooks-in-automation-rules
        Connector(
            key="freshdesk",
            name="Freshdesk",
            doc=(
                "https://support.freshdesk.com/support/solutions/articles/"
                "132589-using-webhooks-in-automation-rules"
            ),
            mapping={
                "contact_id": "freshdesk_webhook.ticket_contact_email",
                "email": "freshdesk_webhook.ticket_contact_email",
                "name": "freshdesk_webhook.ticket_contact_name",
                "staff": "freshdesk_webhook.ticket_agent_email",
                "team": "freshdesk_webhook.ticket_group_name",
                "touchpoint": "freshdesk_webhook.ticket_source",
                "idempotency_key": "freshdesk_webhook.ticket_id",
                "description": "freshdesk_webhook.ticket_subject",
            },
            only_when_path="freshdesk_webhook.ticket_status",
            only_when_values=("resolved", "closed"),
            setup=(
                "In Freshdesk Admin > Automations > Ticket updates add a rule 'Status is "
                "changed to Resolved' with the action Trigger webhook: POST, JSON, content "
                "Simple, with the placeholders Ticket ID, Status, Subject, Source, Contact "
                "name, Contact email, Agent email and Group name, and a custom header "
                "X-Beacon-Token whose value is the webhook's secret shown below."
            ),
        ),
        # Intercom webhook topic conversation.admin.closed, a notification_event whose
        # data.item is the conversation model:
        # https://developers.intercom.com/docs/references/2.11/webhooks/webhook-models
        Connector(
            key="intercom",
            name="Intercom",
            doc="https://developers.intercom.com/docs/references/2.11/webhooks/webhook-models",
            mapping={
                "contact_id": "data.item.source.author.id",
                "email": "data.item.source.author.email",
                "name": "data.item.source.author.name",
                "staff": "data.item.conversation_parts.conversation_parts.0.author.email",
                "touchpoint": "data.item.source.type",
                "occurred_at": "data.item.updated_at",
                "idempotency_key": "data.item.id",
                "description": "data.item.title",
            },
            only_when_path="topic",
            only_when_values=("conversation.admin.closed",),
            setup=(
                "In the Intercom Developer Hub, under your app's Webhooks, subscribe the URL "
                "below to the topic conversation.admin.closed, and paste your app's client "
                "secret into this webhook's signing settings in Beacon (Intercom signs every "
                "notification with it)."
            ),
            signature=Scheme.INTERCOM,
            notes=[
                "Intercom names the team only by its numeric id; add a team path if your "
                "Beacon team names are those ids."
            ],
        ),
        # HubSpot workflow on tickets "Ticket status is Closed" -> Send a webhook (POST) with
        # a customised body of ticket properties and associated contact and owner properties:
        # https://knowledge.hubspot.com/workflows/how-do-i-use-webhooks-with-hubspot-workflows
        # (ticket properties: https://knowledge.hubspot.com/properties/hubspots-default-ticket-properties)
        Connector(
            key="hubspot",
            name="HubSpot",
            doc="https://knowledge.hubspot.com/workflows/how-do-i-use-webhooks-with-hubspot-workflows",
            mapping={
                "contact_id": "contact.hs_object_id",
                "email": "contact.email",
                "name": "contact.firstname",
                "staff": "owner.email",
                "team": "ticket.hs_primary_team_name",
                "touchpoint": "ticket.source_type",
                "occurred_at": "ticket.closed_date",
                "idempotency_key": "ticket.hs_object_id",
                "description": "ticket.subject",
            },
            only_when_path="ticket.hs_pipeline_stage",
            only_when_values=("4", "closed"),
            setup=(
                "In HubSpot add a ticket-based workflow triggered when the ticket status is "
                "Closed, with the action Send a webhook (POST) to the URL below, "
                "authentication 'API key' sent in the header X-Beacon-Token with the "
                "webhook's secret shown below, and a customised request body carrying these "
                "properties."
            ),
            body=(
                '{"ticket": {"hs_object_id": "", "subject": "", "hs_pipeline_stage": "", '
                '"source_type": "", "closed_date": "", "hs_primary_team_name": ""}, '
                '"contact": {"hs_object_id": "", "email": "", "firstname": ""}, '
                '"owner": {"email": ""}}'
            ),
        ),
        # Salesforce Service Cloud: a record-triggered flow on Case (IsClosed becomes true)
        # with an HTTP Callout action posting the Case's fields as JSON; field names from the
        # Case object reference:
        # https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_case.htm
        Connector(
            key="salesforce",
            name="Salesforce Service Cloud",
            doc=(
                "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/"
                "object_reference/sforce_api_objects_case.htm"
            ),
            mapping={
                "contact_id": "Case.ContactId",
                "email": "Case.ContactEmail",
                "name": "Case.Contact.Name",
                "staff": "Case.Owner.Email",
                "team": "Case.Owner.Department",
                "touchpoint": "Case.Origin",
                "occurred_at": "Case.ClosedDate",
                "idempotency_key": "Case.Id",
                "description": "Case.Subject",
            },
            only_when_path="Case.Status",
            only_when_values=("closed", "solved", "resolved"),
            setup=(
                "In Salesforce Setup add a record-triggered flow on Case (when IsClosed "
                "becomes true) with an HTTP Callout action posting the Case as JSON (Id, "
                "Status, Origin, Subject, ClosedDate, ContactId, ContactEmail, Contact.Name, "
                "Owner.Email, Owner.Department) to the URL below, with a header "
                "X-Beacon-Token holding the webhook's secret shown below."
            ),
        ),
    )
}


def connector_choices() -> list[tuple[str, str]]:
    return [("", "None: map the fields by hand"), *((c.key, c.name) for c in CONNECTORS.values())]
