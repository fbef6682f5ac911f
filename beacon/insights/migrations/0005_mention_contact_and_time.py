"""Each theme mention carries its response's customer and time (see ThemeMention)."""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_responses(apps: Any, schema_editor: Any) -> None:
    ThemeMention = apps.get_model("insights", "ThemeMention")
    Response = apps.get_model("responses", "Response")
    own = Response.objects.filter(pk=OuterRef("response_id"))
    ThemeMention.objects.update(
        contact_id=Subquery(own.values("contact_id")[:1]),
        responded_at=Subquery(own.values("responded_at")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
        ("insights", "0004_mention_response_theme_index"),
        ("responses", "0010_count_rollup_day_stage_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="thememention",
            name="contact",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to="contacts.contact",
            ),
        ),
        migrations.AddField(
            model_name="thememention",
            name="responded_at",
            field=models.DateTimeField(null=True),
        ),
        # Nothing to copy on a fresh database (ADR 0016).
        migrations.RunPython(copy_from_responses, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="thememention",
            name="responded_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="thememention",
            index=models.Index(
                fields=["organization", "theme", "responded_at", "contact"],
                name="theme_mention_customers",
            ),
        ),
    ]
