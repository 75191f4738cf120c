"""E-mail inbox passwords are stored encrypted (kefu/core/crypto.py): each clear password is encrypted
with the key of this installation, then the clear column is dropped. Going back decrypts them."""

from django.db import migrations, models


def encrypt_clear_passwords(apps, schema_editor):
    from kefu.core.crypto import encrypt_secret

    MailSettings = apps.get_model("conversations", "MailSettings")
    for config in MailSettings.objects.exclude(password="").only("pk", "password"):
        MailSettings.objects.filter(pk=config.pk).update(password_encrypted=encrypt_secret(config.password))


def decrypt_to_clear_passwords(apps, schema_editor):
    from kefu.core.crypto import SecretUnreadable, decrypt_secret

    MailSettings = apps.get_model("conversations", "MailSettings")
    for config in MailSettings.objects.exclude(password_encrypted="").only("pk", "password_encrypted"):
        try:
            clear = decrypt_secret(config.password_encrypted)
        except SecretUnreadable:
            clear = ""  # encrypted with a key this installation no longer has: to be entered again
        MailSettings.objects.filter(pk=config.pk).update(password=clear)


class Migration(migrations.Migration):

    dependencies = [
        ("conversations", "0004_mail"),
    ]

    operations = [
        migrations.AddField(
            model_name="mailsettings",
            name="password_encrypted",
            field=models.TextField(blank=True, default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt_clear_passwords, decrypt_to_clear_passwords, elidable=False),
        migrations.AlterField(
            model_name="mailsettings",
            name="password",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="password"),
        ),
        migrations.RemoveField(
            model_name="mailsettings",
            name="password",
        ),
    ]
