"""The shapes in which an app adds itself to the application shell (kefu.web).

Each app declares, in its own `navigation.py`, what it shows in the shell; any of the three lists
may be left out:

    NAVIGATION = [NavEntry("example", _("Example"), "example:list", perms=(Perm.SERVE_CUSTOMERS,),
                           group="business")]
    WORKBENCH_CARDS = [WorkbenchCard("kefu.example.workbench.my_card", order=20)]
    SETTINGS = [SettingsSection(_("Example rules"), "example_settings:index", _("…"), ...)]

The shell collects the lists from every installed app (kefu/web/navigation.py) and sorts each by
`order`. Core defines only the shapes, so neither core nor the shell names a domain app: adding an
app adds its `navigation.py` and changes nothing else.
"""

from dataclasses import dataclass
from typing import Any

Label = Any  # a str or a lazy translation (gettext_lazy)


@dataclass(frozen=True)
class NavEntry:
    """One entry of the main navigation."""

    key: str
    label: Label
    url_name: str
    perms: tuple[str, ...] = ()  # any one of these shows the entry; () every signed-in user
    order: int = 50  # place in the bar, left to right (within its group, top to bottom)
    group: str = ""  # the key of a NavGroup whose menu holds it; "" an entry of the bar itself


@dataclass(frozen=True)
class NavGroup:
    """A menu of the navigation bar holding the entries that name it in `group` (the shell declares
    the groups, kefu/web/navigation.py). It sits at `order` in the bar; a group that shows a user
    only one entry is shown as that entry."""

    key: str
    label: Label
    order: int


@dataclass(frozen=True)
class WorkbenchCard:
    """A card on the workbench: `path` names a function `card(request) -> Card | None`
    (kefu.core.workbench.Card; None when the card has nothing for this user)."""

    path: str
    order: int = 50


@dataclass(frozen=True)
class SettingsSection:
    """A tile on the settings page, shown to users holding any of `perms`."""

    title: Label
    url_name: str
    description: Label
    perms: tuple[str, ...]
    order: int = 50
