"""Ready-made inbound mappings for the common help desks, shops and billing systems.

Help desks post interactions; shops and billing systems (Stripe, Shopify, Chargebee) post
outcomes: orders, refunds and subscription events (`records`), their amounts in cents
where the product sends them so (`minor_units`).

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
    # Outcome presets: what each post records (outcomes.webhooks.RECORDS; "" interactions)
    # and whether its amounts are in the currency's minor unit (cents).
    records: str = ""
    minor_units: bool = False


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


# Outcome presets. Stripe sends every event as {"id", "type", "created" (Unix time), "data":
# {"object": ...}} (https://docs.stripe.com/api/events/object) with amounts as integers in
# the currency's smallest unit (https://docs.stripe.com/currencies#zero-decimal) and
# lower-case ISO currency codes; each endpoint subscribes to chosen event types, so each
# preset is one endpoint in Stripe's dashboard.
_STRIPE_SETUP = (
    "In the Stripe Dashboard under Developers > Webhooks add an endpoint with the URL below "
    "and the event types {events}, then reveal the endpoint's signing secret (whsec_...) "
    "and paste it into this webhook's signing settings in Beacon."
)
OUTCOME_PRESETS = (
    # Invoice object: https://docs.stripe.com/api/invoices/object (customer, amount_paid,
    # currency, billing_reason, status_transitions.paid_at, lines.data[].price).
    Connector(
        key="stripe-invoices",
        name="Stripe: paid invoices (orders)",
        doc="https://docs.stripe.com/api/invoices/object",
        mapping={
            "contact_id": "data.object.customer",
            "amount": "data.object.amount_paid",
            "currency": "data.object.currency",
            "occurred_at": "data.object.status_transitions.paid_at",
            "idempotency_key": "data.object.id",
            "product": "data.object.lines.data.0.description",
            "plan": "data.object.lines.data.0.price.id",
        },
        only_when_path="data.object.billing_reason",
        only_when_values=("manual",),
        setup=_STRIPE_SETUP.format(events="invoice.paid"),
        signature=Scheme.STRIPE,
        records="order",
        minor_units=True,
        notes=[
            "Only one-off invoices by default (billing_reason manual): a subscription's "
            "price is counted from its subscription events (the subscriptions preset). "
            "Without that preset, add subscription_create and subscription_cycle to the "
            "values so every paid invoice is an order."
        ],
    ),
    # Subscription object: https://docs.stripe.com/api/subscriptions/object (customer,
    # currency, items.data[].price.unit_amount, cancellation_details.reason); event types:
    # https://docs.stripe.com/api/events/types
    Connector(
        key="stripe-subscriptions",
        name="Stripe: subscriptions started, changed, ended",
        doc="https://docs.stripe.com/api/subscriptions/object",
        mapping={
            "event": "type",
            "contact_id": "data.object.customer",
            "subscription_id": "data.object.id",
            "plan": "data.object.items.data.0.price.id",
            "amount": "data.object.items.data.0.price.unit_amount",
            "currency": "data.object.currency",
            "occurred_at": "created",
            "idempotency_key": "id",
            "reason": "data.object.cancellation_details.reason",
        },
        only_when_path="type",
        only_when_values=(
            "customer.subscription.created",
            "customer.subscription.updated",
            "customer.subscription.deleted",
        ),
        setup=_STRIPE_SETUP.format(
            events="customer.subscription.created, customer.subscription.updated and "
            "customer.subscription.deleted"
        ),
        signature=Scheme.STRIPE,
        records="subscription",
        minor_units=True,
        notes=[
            "created is recorded as started, updated as changed (Stripe also sends it when "
            "a new period begins, so each period's price is counted), deleted as ended "
            "(churn, with Stripe's cancellation reason)."
        ],
    ),
    # Charge object: https://docs.stripe.com/api/charges/object (customer, amount_refunded,
    # currency); event charge.refunded.
    Connector(
        key="stripe-refunds",
        name="Stripe: refunded charges (negative orders)",
        doc="https://docs.stripe.com/api/charges/object",
        mapping={
            "contact_id": "data.object.customer",
            "amount": "data.object.amount_refunded",
            "currency": "data.object.currency",
            "occurred_at": "created",
            "idempotency_key": "data.object.id",
        },
        only_when_path="type",
        only_when_values=("charge.refunded",),
        setup=_STRIPE_SETUP.format(events="charge.refunded"),
        signature=Scheme.STRIPE,
        records="refund",
        minor_units=True,
        notes=[
            "amount_refunded is the charge's refunded total and the key is the charge, so a "
            "charge counts once, at its first refund; a second partial refund of the same "
            "charge is logged as a repeat and not added (record it through the API)."
        ],
    ),
    # Shopify webhook topics orders/create and refunds/create post the REST Order and Refund
    # resources (https://shopify.dev/docs/api/admin-rest/latest/resources/order,
    # .../resources/refund), whose money fields are decimal strings in the shop's currency
    # ("199.65"), not minor units; signed with X-Shopify-Hmac-Sha256
    # (https://shopify.dev/docs/apps/build/webhooks/subscribe/https).
    Connector(
        key="shopify-orders",
        name="Shopify: orders",
        doc="https://shopify.dev/docs/api/admin-rest/latest/resources/order",
        mapping={
            "contact_id": "customer.id",
            "amount": "total_price",
            "currency": "currency",
            "occurred_at": "created_at",
            "idempotency_key": "id",
            "product": "line_items.0.title",
            "channel": "source_name",
        },
        only_when_path="",
        only_when_values=(),
        setup=(
            "In Shopify admin under Settings > Notifications > Webhooks (or your app's "
            "webhook subscriptions) create a webhook for the event Order creation, format "
            "JSON, to the URL below, and paste the signing key Shopify shows there into this "
            "webhook's signing settings in Beacon."
        ),
        signature=Scheme.SHOPIFY,
        records="order",
    ),
    Connector(
        key="shopify-refunds",
        name="Shopify: refunds (negative orders)",
        doc="https://shopify.dev/docs/api/admin-rest/latest/resources/refund",
        mapping={
            "order_id": "order_id",
            "amount": "transactions.0.amount",
            "currency": "transactions.0.currency",
            "occurred_at": "created_at",
            "idempotency_key": "id",
            "reason": "note",
        },
        only_when_path="",
        only_when_values=(),
        setup=(
            "In Shopify admin under Settings > Notifications > Webhooks create a webhook for "
            "the event Refund create, format JSON, to the URL below, and paste the signing "
            "key Shopify shows there into this webhook's signing settings in Beacon."
        ),
        signature=Scheme.SHOPIFY,
        records="refund",
        notes=[
            "A Shopify refund names its order, not its customer: Beacon finds the customer "
            "on the order recorded before by a Shopify orders webhook, so add that one too."
        ],
    ),
    # Chargebee events: {"id", "occurred_at" (Unix time), "event_type", "content":
    # {"subscription": ...}} (https://apidocs.chargebee.com/docs/api/events); the
    # subscription's items carry amounts in the currency's minor unit
    # (https://apidocs.chargebee.com/docs/api/subscriptions, subscription_items[].amount).
    Connector(
        key="chargebee",
        name="Chargebee: subscriptions",
        doc="https://apidocs.chargebee.com/docs/api/events",
        mapping={
            "event": "event_type",
            "contact_id": "content.subscription.customer_id",
            "subscription_id": "content.subscription.id",
            "plan": "content.subscription.subscription_items.0.item_price_id",
            "amount": "content.subscription.subscription_items.0.amount",
            "currency": "content.subscription.currency_code",
            "occurred_at": "occurred_at",
            "idempotency_key": "id",
            "reason": "content.subscription.cancel_reason",
        },
        only_when_path="event_type",
        only_when_values=(
            "subscription_created",
            "subscription_renewed",
            "subscription_changed",
            "subscription_cancelled",
        ),
        setup=(
            "In Chargebee under Settings > Configure Chargebee > Webhooks add a webhook to "
            "the URL below with the events Subscription created, renewed, changed and "
            "cancelled, protected by basic authentication with any user name and the "
            "webhook's secret shown below as the password."
        ),
        signature=Scheme.BASIC,
        records="subscription",
        minor_units=True,
    ),
)
CONNECTORS.update((c.key, c) for c in OUTCOME_PRESETS)


def connector_choices() -> list[tuple[str, str]]:
    return [("", "None: map the fields by hand"), *((c.key, c.name) for c in CONNECTORS.values())]
