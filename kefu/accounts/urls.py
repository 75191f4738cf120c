from django.urls import path

from kefu.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/sign-in/", views.sign_in, name="sign_in"),
    path("accounts/sign-out/", views.sign_out, name="sign_out"),
    path("accounts/two-factor/", views.two_factor, name="two_factor"),
    path("accounts/presence/", views.set_presence, name="presence"),
    path("accounts/password/", views.change_password, name="password"),
    path("settings/users/", views.users, name="users"),
    path("settings/users/new/", views.user_create, name="user_create"),
    path("settings/users/<int:user_id>/", views.user_detail, name="user"),
    path("settings/users/<int:user_id>/active/", views.user_set_active, name="user_set_active"),
    path(
        "settings/users/<int:user_id>/password/", views.user_set_password, name="user_set_password"
    ),
    path("settings/users/<int:user_id>/reveal/<str:field>/", views.user_reveal, name="user_reveal"),
    path("settings/departments/", views.departments, name="departments"),
    path(
        "settings/departments/<int:unit_id>/edit/",
        views.organisation_edit,
        {"kind": "department"},
        name="department_edit",
    ),
    path(
        "settings/teams/<int:unit_id>/edit/",
        views.organisation_edit,
        {"kind": "team"},
        name="team_edit",
    ),
    path(
        "settings/users/<int:user_id>/two-factor/reset/",
        views.user_reset_two_factor,
        name="user_reset_two_factor",
    ),
    path("accounts/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("settings/audit/", views.audit_log, name="audit_log"),
]
