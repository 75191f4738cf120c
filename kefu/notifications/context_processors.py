from kefu.notifications.services import unread_count


def unread_notifications(request) -> dict:
    """`unread_notifications` for the bell in the header (one indexed count per page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
