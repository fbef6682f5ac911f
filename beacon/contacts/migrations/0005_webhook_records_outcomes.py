from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0004_import_kind_outcomes"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundwebhook",
            name="records",
            field=models.CharField(blank=True, max_length=24),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("created", "Recorded"),
                    ("repeated", "Already recorded"),
                    ("ignored", "Ignored (condition not met)"),
                    ("refused", "Refused"),
                ],
                max_length=10,
            ),
        ),
    ]
