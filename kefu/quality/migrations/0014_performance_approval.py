import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('quality', '0013_survey_praise_complaints_upheld'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='performancesheet',
            name='adjustment',
            field=models.FloatField(default=0, verbose_name='adjustment'),
        ),
        migrations.AddField(
            model_name='performancesheet',
            name='adjustment_reason',
            field=models.CharField(blank=True, max_length=300, verbose_name='reason for the adjustment'),
        ),
        migrations.AddField(
            model_name='performancesheet',
            name='adjusted_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adjusted by'),
        ),
        migrations.AddField(
            model_name='performancesheet',
            name='approved_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='approved by'),
        ),
        migrations.AddField(
            model_name='performancesheet',
            name='approved_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='approved at'),
        ),
    ]
