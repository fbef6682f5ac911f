from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("responses", "0005_fanout_ready_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                fields=["organization", "contact", "responded_at"], name="response_contact_history"
            ),
        ),
    ]
