"""Who receives which real-time event: decided here and nowhere else.

Groups: `user.<id>` (every socket of one signed-in user) and `supervisors` (live boards of users who
may assign work). A customer's sockets (chat widget) will have their own groups; internal notes are
never sent to them.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


SUPERVISORS_GROUP = "supervisors"


def push(group: str, payload: dict) -> None:
    """Send `payload` to the group's sockets. Best effort: the database is the record."""
    async_to_sync(get_channel_layer().group_send)(group, {"type": "push", "payload": payload})


def groups_for(user) -> list[str]:
    from kefu.accounts.roles import Perm

    groups = [user_group(user.pk)]
    if user.has_perm(Perm.ASSIGN_WORK):
        groups.append(SUPERVISORS_GROUP)
    return groups
