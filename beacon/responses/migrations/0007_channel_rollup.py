import datetime as dt

from django.db import migrations, models
from django.db.models import Count, Q
from django.db.models.functions import TruncDate


def count_stored(apps, schema_editor):
    """The responses stored so far, per organisation, survey, UTC day and channel."""
    Response = apps.get_model("responses", "Response")
    ChannelRollup = apps.get_model("responses", "ChannelRollup")
    grouped = (
        Response.objects.annotate(d=TruncDate("responded_at", tzinfo=dt.UTC))
        .values_list("organization_id", "survey_id", "d", "channel")
        .annotate(
            n=Count("id"),
            done=Count("id", filter=Q(completed_at__isnull=False)),
            invited=Count("id", filter=Q(invitation_id__isnull=False)),
        )
        .order_by()
    )
    ChannelRollup.objects.bulk_create(
        (
            ChannelRollup(
                organization_id=o,
                survey_id=s,
                day=d,
                channel=c,
                responses=n,
                completed=done,
                invited=invited,
            )
            for o, s, d, c, n, done, invited in grouped.iterator(chunk_size=5000)
        ),
        batch_size=5000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("responses", "0006_contact_history_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChannelRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("organization_id", models.BigIntegerField()),
                ("survey_id", models.BigIntegerField()),
                ("day", models.DateField()),
                ("channel", models.CharField(max_length=20)),
                ("responses", models.BigIntegerField(default=0)),
                ("completed", models.BigIntegerField(default=0)),
                ("invited", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization_id", "survey_id", "day", "channel"),
                        name="channel_rollup_cell_unique",
                    )
                ],
            },
        ),
        migrations.RunPython(count_stored, migrations.RunPython.noop, elidable=True),
    ]
