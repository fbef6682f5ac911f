"""Every survey gets its own widget secret; existing surveys each a different one."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

import beacon.surveys.models


def fill_secrets(apps: Any, schema_editor: Any) -> None:
    Survey = apps.get_model("surveys", "Survey")
    for survey in Survey.objects.only("pk").iterator():
        Survey.objects.filter(pk=survey.pk).update(
            widget_secret=beacon.surveys.models.new_widget_secret()
        )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_invitation_clicked_score")]

    operations = [
        migrations.AddField(
            model_name="survey",
            name="widget_secret",
            field=models.CharField(
                default=beacon.surveys.models.new_widget_secret, max_length=64
            ),
        ),
        migrations.RunPython(fill_secrets, migrations.RunPython.noop, elidable=True),
    ]
