"""Demo organisation: departments, skills, teams and the demo sign-ins (README lists them)."""

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from faker import Faker

from kefu.accounts import services
from kefu.accounts.models import AgentProfile, Department, Presence, Skill, Team, User
from kefu.accounts.roles import Role

DEPARTMENTS = [
    ("cs", "客服部", True, "客户咨询、投诉受理、回访与客户资料管理"),
    ("tech", "技术部", False, "产品故障与技术问题处理"),
    ("warehouse", "仓库", False, "打单、配货、发货与退件登记"),
    ("finance", "财务部", False, "退款、补偿与发票"),
    ("audit", "服务监察部", False, "有效投诉的调查处理与服务监督"),
]
SKILLS = [
    ("presales", "售前"),
    ("aftersales", "售后"),
    ("complaints", "投诉处理"),
    ("vip", "VIP服务"),
    ("phone", "电话坐席"),
]
TEAMS = [
    ("售前组", ["presales", "vip"], dt.time(8, 30), dt.time(22, 0)),
    ("售后组", ["aftersales", "complaints"], dt.time(9, 0), dt.time(18, 0)),
    ("热线组", ["phone", "complaints"], dt.time(8, 0), dt.time(20, 0)),
]
STAFF_USERS = [
    ("tech1", "tech"),
    ("tech2", "tech"),  # technicians sent on work orders 派工单 (kefu/dispatch)
    ("tech3", "tech"),
    ("warehouse1", "warehouse"),
    ("finance1", "finance"),
    ("audit1", "audit"),
]


def demo_usernames() -> list[str]:
    return (
        ["admin", "manager", "supervisor1", "supervisor2"]
        + [f"agent{i}" for i in range(1, 9)]
        + ["inspector"]
        + [name for name, _dept in STAFF_USERS]
    )


def build(*, password: str, seed: int = 2026) -> None:
    """Create the demo organisation. Idempotent: existing records are kept."""
    fake = Faker("zh_CN")
    Faker.seed(seed)
    rng = random.Random(seed)
    departments = {}
    for code, name, is_cs, description in DEPARTMENTS:
        departments[code], _created = Department.objects.get_or_create(
            code=code,
            defaults={"name": name, "is_customer_service": is_cs, "description": description},
        )
    skills = {
        code: Skill.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in SKILLS
    }
    teams = []
    for name, skill_codes, start, end in TEAMS:
        team, created = Team.objects.get_or_create(
            name=name,
            defaults={"department": departments["cs"], "work_start": start, "work_end": end},
        )
        if created:
            team.skills.set([skills[c] for c in skill_codes])
        teams.append(team)

    # One hash for every demo user (they share the password): one Argon2 run, not seventeen.
    password_hash = make_password(password)

    def person(username: str, role: str, department: str, display_name: str | None = None) -> User:
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            existing.password = password_hash
            existing.save(update_fields=["password"])
            return existing
        return services.create_user(
            actor=None,
            username=username,
            password=password,
            password_hash=password_hash,
            role=role,
            department=departments[department],
            display_name=display_name or fake.name(),
            mobile=fake.phone_number(),
            email=f"{username}@kefu.example.cn",
            check_password=False,
        )

    person("admin", Role.ADMINISTRATOR, "cs", "系统管理员")
    person("manager", Role.MANAGER, "cs")
    for i in (1, 2):
        person(f"supervisor{i}", Role.SUPERVISOR, "cs")
    for i in range(1, 9):
        agent = person(f"agent{i}", Role.AGENT, "cs")
        profile = AgentProfile.objects.get(user=agent)
        team = teams[(i - 1) % len(teams)]
        profile.teams.set([team])
        profile.skills.set(list(team.skills.all()))
        profile.max_concurrent_chats = rng.choice([3, 4, 5, 6])
        profile.presence = rng.choice(
            [Presence.ONLINE, Presence.ONLINE, Presence.BUSY, Presence.AWAY, Presence.OFFLINE]
        )
        profile.save(update_fields=["max_concurrent_chats", "presence"])
    person("inspector", Role.INSPECTOR, "audit")
    for username, department in STAFF_USERS:
        person(username, Role.DEPARTMENT_STAFF, department)
