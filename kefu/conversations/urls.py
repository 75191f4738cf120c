from django.urls import path

from kefu.conversations import statistics_views, views

app_name = "conversations"
urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("lists/", views.lists, name="lists"),
    path("statistics/", statistics_views.chat_statistics, name="statistics"),
    path("<int:conversation_id>/", views.chat, name="chat"),
    path("<int:conversation_id>/transfer/", views.transfer, name="transfer"),
    path("<int:conversation_id>/close/", views.close, name="close"),
    path("<int:conversation_id>/assign/", views.assign, name="assign"),
    path("<int:conversation_id>/ticket/", views.make_ticket, name="ticket"),
    path("<int:conversation_id>/presales/", views.presales_step, name="presales_step"),
    path("<int:conversation_id>/customers/", views.customer_search, name="customer_search"),
    path("<int:conversation_id>/customer/link/", views.link_customer, name="link_customer"),
    path("<int:conversation_id>/customer/new/", views.create_customer, name="create_customer"),
    path("<int:conversation_id>/messages/<int:message_id>/", views.message, name="message"),
    path("<int:conversation_id>/messages/<int:message_id>/resend/", views.resend, name="resend"),
    path(
        "<int:conversation_id>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
]
