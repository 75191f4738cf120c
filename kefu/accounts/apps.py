from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kefu.accounts"
    label = "accounts"
    verbose_name = _("Organisation and access")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from kefu.accounts import tasks  # noqa: F401  registers the app's Huey tasks
        from kefu.accounts.models import ApiToken, User
        from kefu.accounts.services import token_or_user_changed

        # A revoked token, a deactivated user or a new role counts at once (services.api_token_for).
        for model in (ApiToken, User):
            post_save.connect(token_or_user_changed, sender=model, dispatch_uid=f"tokens-{model}")
            post_delete.connect(
                token_or_user_changed, sender=model, dispatch_uid=f"tokens-d-{model}"
            )
