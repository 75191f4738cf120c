"""Authentication backend whose permissions come from the user's role (roles.py)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from kefu.accounts.roles import permissions_of

UserModel = get_user_model()


class RoleBackend(ModelBackend):
    """Password sign-in as Django's ModelBackend; permissions from the role table only.

    Per-user and group permissions are not consulted: one table says who may do what.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        """User names are case-insensitive: `Zhang.Wei` signs in as `zhang.wei`."""
        if username is not None:
            match = UserModel._default_manager.filter(username__iexact=username.strip()).first()
            username = match.username if match is not None else username
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(permissions_of(user_obj.role))

    def has_perm(self, user_obj, perm, obj=None):
        # Django admin asks for model permissions (app.view_model): administrators hold them all.
        if user_obj.is_active and not user_obj.is_anonymous and user_obj.role == "administrator":
            return True
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return user_obj.is_active and getattr(user_obj, "role", None) == "administrator"
