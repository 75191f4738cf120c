"""Two-factor enforcement: managers and administrators reach nothing before their second factor."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

# Paths a signed-in user may open before the second factor: the 2FA pages, sign-out, assets.
OPEN_PREFIXES = (
    "/accounts/two-factor/",
    "/accounts/sign-out/",
    "/static/",
    "/healthz",
    "/i18n/",
    "/api/",
)


class RequireTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.requires_two_factor
            and not user.is_verified()
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            return redirect(
                f"{reverse('accounts:two_factor')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)
