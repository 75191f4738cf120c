import factory
from django.contrib.auth.hashers import make_password

from kefu.accounts.models import AgentProfile, Department, Team, User
from kefu.accounts.roles import Role

PASSWORD = "Kefu2026demo"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"部门{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"技能组{n}")
    department = factory.SubFactory(DepartmentFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="zh_CN")
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    role = Role.AGENT
    department = factory.SubFactory(DepartmentFactory)
    password = factory.LazyFunction(lambda: make_password(PASSWORD))
    is_staff = factory.LazyAttribute(lambda u: u.role == Role.ADMINISTRATOR)

    @factory.post_generation
    def agent_profile(self, create, extracted, **kwargs):
        if create and self.role in {Role.AGENT, Role.SUPERVISOR, Role.MANAGER}:
            AgentProfile.objects.get_or_create(user=self)
