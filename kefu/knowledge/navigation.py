"""What the knowledge base shows in the shell: the 知识库 entry for everyone who reads it (agents,
inspectors, editors), and for editors the words search understands."""

from django.utils.translation import gettext_lazy as _

from kefu.core.shell import NavEntry
from kefu.knowledge.selectors import READ_PERMS

NAVIGATION = [
    NavEntry("knowledge", _("Knowledge base"), "knowledge:list", perms=READ_PERMS, order=31),
]
