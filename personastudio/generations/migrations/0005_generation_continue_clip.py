import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clips', '0003_provider_url'),
        ('generations', '0004_generation_favourite'),
    ]

    operations = [
        migrations.AddField(
            model_name='generation',
            name='continue_at',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='generation',
            name='continue_clip',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name='extensions', to='clips.clip'),
        ),
    ]
