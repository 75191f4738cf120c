"""Visitor identity: the signed token (reloads, tampering, expiry, another inbox) and the HMAC claim
a site signs with the inbox secret (accepted, refused)."""

import pytest
from django.core import signing

from kefu.conversations import identity
from kefu.conversations.models import Conversation, Visitor
from kefu.conversations.services.lifecycle import start_conversation
from kefu.conversations.services.visitors import identify_visitor
from kefu.conversations.tests.conftest import make_inbox
from kefu.customers.models import ContactIdentity, Customer, IdentityKind

pytestmark = pytest.mark.django_db


def claim_for(inbox, user_id: str) -> dict:
    return {
        "user_id": user_id,
        "hmac": identity.identity_hmac(secret=inbox.secret, user_id=user_id),
    }


def test_a_new_visitor_gets_a_token_that_finds_them_again(inbox):
    visitor, token = identify_visitor(inbox=inbox)
    again, token_again = identify_visitor(inbox=inbox, token=token)
    assert again.pk == visitor.pk and visitor.external_id is None
    assert identity.read_visitor_token(token_again, inbox_id=inbox.pk) == visitor.token_id
    assert Visitor.objects.count() == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
        lambda t: "x" + t[1:],  # payload changed
        lambda t: signing.dumps(
            {"i": 1, "v": "0" * 32}, salt="another-salt"
        ),  # signed for another use
        lambda t: "",
        lambda t: "garbage",
    ],
)
def test_a_tampered_token_gives_a_new_anonymous_visitor(inbox, mangle):
    visitor, token = identify_visitor(inbox=inbox)
    other, _ = identify_visitor(inbox=inbox, token=mangle(token))
    assert other.pk != visitor.pk


def test_an_expired_token_gives_a_new_anonymous_visitor(inbox, settings):
    visitor, token = identify_visitor(inbox=inbox)
    settings.KEFU_VISITOR_TOKEN_MAX_AGE = -1
    other, _ = identify_visitor(inbox=inbox, token=token)
    assert other.pk != visitor.pk


def test_a_token_of_another_inbox_is_not_accepted(inbox):
    visitor, token = identify_visitor(inbox=make_inbox(name="另一个"))
    other, _ = identify_visitor(inbox=inbox, token=token)
    assert other.pk != visitor.pk and other.inbox_id == inbox.pk


def test_a_signed_claim_links_the_known_customer_on_every_device(inbox):
    customer = Customer.objects.create(name="赵敏")
    ContactIdentity.objects.create(
        customer=customer, kind=IdentityKind.VISITOR, value="shop-user-42"
    )
    phone, _ = identify_visitor(inbox=inbox, claim=claim_for(inbox, "shop-user-42"))
    laptop, _ = identify_visitor(inbox=inbox, claim=claim_for(inbox, "shop-user-42"))
    assert phone.pk == laptop.pk
    assert (phone.external_id, phone.customer_id) == ("shop-user-42", customer.pk)


def test_an_anonymous_visitor_who_signs_in_keeps_their_conversation_now_linked(inbox):
    customer = Customer.objects.create(name="赵敏")
    ContactIdentity.objects.create(customer=customer, kind=IdentityKind.VISITOR, value="u7")
    visitor, token = identify_visitor(inbox=inbox)
    conversation = start_conversation(visitor=visitor)
    known, _ = identify_visitor(inbox=inbox, token=token, claim=claim_for(inbox, "u7"))
    assert known.pk == visitor.pk and known.customer_id == customer.pk
    assert Conversation.objects.get(pk=conversation.pk).customer_id == customer.pk


@pytest.mark.parametrize(
    "claim",
    [
        {"user_id": "u7"},  # unsigned
        {"user_id": "u7", "hmac": "0" * 64},  # wrongly signed
        {"user_id": "u8", "hmac": None},
        "u7",
        {"user_id": True, "hmac": "x"},
    ],
)
def test_an_unsigned_or_wrongly_signed_claim_stays_anonymous(inbox, claim):
    visitor, _ = identify_visitor(inbox=inbox, claim=claim)
    assert (visitor.external_id, visitor.customer_id) == (None, None)


def test_a_claim_signed_with_another_inboxs_secret_is_refused(inbox):
    other = make_inbox(name="另一个")
    visitor, _ = identify_visitor(inbox=inbox, claim=claim_for(other, "u7"))
    assert visitor.external_id is None


def test_the_hmac_is_hex_sha256_of_the_user_id_with_the_secret():
    # What a site computes, e.g. in Python: hmac.new(secret, user_id, sha256).hexdigest()
    assert identity.identity_hmac(
        secret="key", user_id="The quick brown fox jumps over the lazy dog"
    ) == ("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
