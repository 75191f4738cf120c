"""The call scripts 通话语术 shown beside the call form (seed 001: 接听客户来电，按标准语术进行解答;
seed 003: 回访用语). Managers write them on the settings page (`CallScript`, one per direction); the
demo's are the seeds' own lines (kefu/telephony/demo.py).

A script is text, one line per line the agent says:

    ## 开场                         a step, with its title
    您好，我是{agent}，请问您是{customer}先生／小姐吗？打扰您了。
    > 避免在客户休息时打扰客户        a hint for the agent (not said)
    ## 交流
    请问您对我们的服务满意吗？
    [满意] 您对我们的服务有什么建议吗？          a line of one branch of the customer's answer
    [不满意／一般] 能否告诉我您对哪方面不满意吗？

Only the variables below are offered, and each is filled when the script is shown; a script naming
any other is refused when it is saved (a placeholder nobody fills is a promise that does nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError

# What each variable is filled with (script_for): the company, the agent's job number (their
# extension, else their user name), the agent's name, the customer's family name.
VARIABLES = ("company", "job_no", "agent", "customer")
MAX_TEXT = 8000
MAX_STEPS = 20
_VARIABLE = re.compile(r"\{([^{}]*)\}")
_BRANCH = re.compile(r"^\[([^\]]{1,20})\]\s*(.+)$")


@dataclass
class Step:
    title: str
    lines: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    branches: dict[str, list[str]] = field(default_factory=dict)  # answer → lines, in order


def parse(text: str) -> list[Step]:
    """The steps of a script's text; raises DomainError saying what is wrong, line by line."""
    text = (text or "").replace("\r\n", "\n").replace("\x00", "")
    if len(text) > MAX_TEXT:
        raise DomainError(_("A script is at most %(max)d characters long.") % {"max": MAX_TEXT})
    steps: list[Step] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        for name in _VARIABLE.findall(line):
            if name not in VARIABLES:
                raise DomainError(
                    _("Line %(line)d: {%(name)s} is not filled by kefu; use %(known)s.")
                    % {
                        "line": number,
                        "name": name,
                        "known": "、".join("{" + v + "}" for v in VARIABLES),
                    }
                )
        if line.startswith("##"):
            title = line.lstrip("#").strip()
            if not title:
                raise DomainError(_("Line %(line)d: a step needs a title.") % {"line": number})
            steps.append(Step(title=title[:40]))
            continue
        if not steps:
            raise DomainError(
                _("Line %(line)d: start with a step title, e.g. “## 开场”.") % {"line": number}
            )
        step = steps[-1]
        if line.startswith(">"):
            step.hints.append(line.lstrip(">").strip())
        elif branch := _BRANCH.match(line):
            step.branches.setdefault(branch.group(1).strip(), []).append(branch.group(2).strip())
        else:
            step.lines.append(line)
    if not steps:
        raise DomainError(_("The script is empty: write at least one step."))
    if len(steps) > MAX_STEPS:
        raise DomainError(_("A script has at most %(max)d steps.") % {"max": MAX_STEPS})
    for step in steps:
        if not step.lines and not step.branches:
            raise DomainError(_("The step “%(title)s” has nothing to say.") % {"title": step.title})
    return steps


def script_for(*, direction: str, agent=None, customer=None) -> list[dict]:
    """The script of `direction` with the agent's and the customer's names put in; [] when no
    manager has written one yet."""
    from kefu.telephony.models import CallScript, Extension

    text = CallScript.objects.filter(direction=direction).values_list("text", flat=True).first()
    if not text:
        return []
    extension = (
        Extension.objects.filter(user=agent).values_list("number", flat=True).first()
        if agent
        else None
    )
    values = {
        "company": settings.KEFU_COMPANY_NAME or "XX",
        "job_no": extension or (agent.username if agent else "XXX"),
        "agent": str(agent) if agent else "",
        "customer": customer.name[:1] if customer and customer.name else "X",
    }

    def fill(line: str) -> str:
        return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), line)

    try:
        steps = parse(text)
    except DomainError:  # written before a rule changed: shown as plain lines rather than lost
        return [{"key": "1", "title": "", "hint": "", "lines": text.splitlines(), "branches": []}]
    return [
        {
            "key": str(n),
            "title": step.title,
            "hint": " ".join(step.hints),
            "lines": [fill(line) for line in step.lines],
            "branches": [
                {"answer": answer, "lines": [fill(line) for line in lines]}
                for answer, lines in step.branches.items()
            ],
        }
        for n, step in enumerate(steps, start=1)
    ]
