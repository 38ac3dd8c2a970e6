"""Every webhook kind, from fixtures in Meta's format, through the production parser."""

from __future__ import annotations

import pytest

from app.platforms.meta.events import EventKind, Platform
from app.platforms.meta.parse import PayloadError, parse_webhook
from tests.support.meta import fixture

IG = Platform.INSTAGRAM
WA = Platform.WHATSAPP


@pytest.mark.parametrize(
    ("name", "platform", "kind", "platform_id", "text"),
    [
        (
            "ig_dm_text",
            IG,
            EventKind.IG_MESSAGE,
            "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAw",
            "Hola! ¿Tenéis envío a Canarias? 🚚",
        ),
        ("ig_dm_attachments", IG, EventKind.IG_MESSAGE, "mid.attach.1", None),
        ("ig_dm_quick_reply", IG, EventKind.IG_MESSAGE, "mid.qr.1", "Opening hours"),
        ("ig_story_reply", IG, EventKind.IG_MESSAGE, "mid.story.1", "love this!"),
        ("ig_story_mention", IG, EventKind.IG_MESSAGE, "mid.mention.1", None),
        ("ig_referral_ad", IG, EventKind.IG_MESSAGE, "mid.ref.1", "Is this still available?"),
        ("ig_reaction", IG, EventKind.IG_REACTION, "mid.orig.1", None),
        ("ig_read", IG, EventKind.IG_READ, "mid.read.1", None),
        ("ig_postback", IG, EventKind.IG_POSTBACK, "mid.pb.1", "Talk to a human"),
        ("ig_message_edit", IG, EventKind.IG_MESSAGE_EDIT, "mid.edit.1", "corrected text"),
        ("ig_deleted", IG, EventKind.IG_MESSAGE_DELETED, "mid.del.1", None),
        ("ig_echo_bot", IG, EventKind.IG_ECHO, "mid.echo.bot", "We ship to the Canary Islands."),
        ("ig_echo_human", IG, EventKind.IG_ECHO, "mid.echo.human", "Hi, Marta here from the shop"),
        ("ig_comment", IG, EventKind.IG_COMMENT, "17865799348089039", "How much is this? 😍"),
        ("ig_comment_reply", IG, EventKind.IG_COMMENT, "17865799348089040", "@demo.shop thanks"),
        ("ig_live_comment", IG, EventKind.IG_COMMENT, "17865799348089042", "hello live"),
        ("ig_mention", IG, EventKind.IG_MENTION, "17865799348089050", None),
        (
            "wa_text",
            WA,
            EventKind.WA_MESSAGE,
            "wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQUVCMDk4",
            "Olá, qual o horário? 🙏",
        ),
        ("wa_image", WA, EventKind.WA_MESSAGE, "wamid.image.1", "this one"),
        ("wa_interactive_button", WA, EventKind.WA_MESSAGE, "wamid.btn.1", "Yes please"),
        ("wa_interactive_list", WA, EventKind.WA_MESSAGE, "wamid.list.1", "Size M"),
        ("wa_button", WA, EventKind.WA_MESSAGE, "wamid.tplbtn.1", "Stop promotions"),
        ("wa_location", WA, EventKind.WA_MESSAGE, "wamid.loc.1", "Loja Lisboa, Rua Augusta 1"),
        ("wa_contacts", WA, EventKind.WA_MESSAGE, "wamid.vcard.1", None),
        ("wa_reaction", WA, EventKind.WA_MESSAGE, "wamid.react.1", "👍"),
        ("wa_status_sent", WA, EventKind.WA_STATUS, "wamid.out.1", None),
        ("wa_status_delivered", WA, EventKind.WA_STATUS, "wamid.out.1", None),
        ("wa_status_read", WA, EventKind.WA_STATUS, "wamid.out.1", None),
        ("wa_status_failed", WA, EventKind.WA_STATUS, "wamid.out.2", None),
    ],
)
def test_each_kind_parses(name, platform, kind, platform_id, text) -> None:
    [event] = parse_webhook(platform, fixture(name))
    assert event.kind == kind
    assert event.platform_id == platform_id
    assert event.text == text
    assert event.dedupe_key and event.raw


def test_dm_details() -> None:
    [dm] = parse_webhook(IG, fixture("ig_dm_text"))
    assert dm.account_external_id == "17841400000000001" and dm.sender_id == "6152938123456789"
    assert dm.occurred_at is not None and dm.occurred_at.year == 2025 and dm.answerable
    [attachments] = parse_webhook(IG, fixture("ig_dm_attachments"))
    assert [a["type"] for a in attachments.attachments] == ["image", "share", "ig_reel"]
    [quick] = parse_webhook(IG, fixture("ig_dm_quick_reply"))
    assert quick.data["quick_reply_payload"] == "HOURS"
    [story] = parse_webhook(IG, fixture("ig_story_reply"))
    assert story.data["reply_to"]["story"]["id"] == "18000000000000001"
    [ad] = parse_webhook(IG, fixture("ig_referral_ad"))
    assert ad.data["referral"]["ad_id"] == "120210000000"
    [reaction] = parse_webhook(IG, fixture("ig_reaction"))
    assert (
        reaction.data == {"action": "react", "reaction": "love", "emoji": "❤"}
        and not reaction.answerable
    )


def test_echoes_point_at_the_customer() -> None:
    [bot] = parse_webhook(IG, fixture("ig_echo_bot"))
    assert bot.sender_id == "6152938123456789", "for echoes the customer is Meta's recipient"
    assert bot.data["metadata"].startswith("socialsync:") and not bot.answerable
    [human] = parse_webhook(IG, fixture("ig_echo_human"))
    assert "metadata" not in human.data


def test_comments() -> None:
    [comment] = parse_webhook(IG, fixture("ig_comment"))
    assert (
        comment.data["media_id"] == "18041234567890123" and comment.data["username"] == "ana.garcia"
    )
    assert comment.data["is_self"] is False and comment.occurred_at is not None
    [reply] = parse_webhook(IG, fixture("ig_comment_reply"))
    assert reply.data["parent_id"] == "17865799348089039"
    [own] = parse_webhook(IG, fixture("ig_comment_self"))
    assert own.data["is_self"] is True


def test_whatsapp_details() -> None:
    [text] = parse_webhook(WA, fixture("wa_text"))
    assert text.account_external_id == "100000000000001" and text.sender_id == "34600111222"
    assert text.data["profile_name"] == "Ana"
    [image] = parse_webhook(WA, fixture("wa_image"))
    assert image.attachments[0]["type"] == "image" and image.attachments[0]["id"] == "1480000000000"
    [button] = parse_webhook(WA, fixture("wa_interactive_button"))
    assert button.data["context"]["id"] == "wamid.prev"
    [failed] = parse_webhook(WA, fixture("wa_status_failed"))
    assert failed.data["status"] == "failed" and failed.data["errors"][0]["code"] == 131047
    sent, delivered = (
        parse_webhook(WA, fixture("wa_status_sent"))[0],
        parse_webhook(WA, fixture("wa_status_delivered"))[0],
    )
    assert sent.dedupe_key != delivered.dedupe_key, "each status of one message is its own event"


def test_a_whatsapp_message_with_only_a_business_scoped_id_has_a_sender() -> None:
    [hidden] = parse_webhook(WA, fixture("wa_text_bsuid_only"))
    assert hidden.kind == EventKind.WA_MESSAGE and hidden.answerable
    assert hidden.sender_id == "ES.13491208655302741918"
    assert hidden.data["profile_name"] == "Bea" and hidden.data["username"] == "bea.shops"
    [shared] = parse_webhook(WA, fixture("wa_text"))
    assert shared.sender_id == "34600111222", "the phone number when the customer shares it"


def test_replies_go_to_the_id_meta_accepts() -> None:
    from app.platforms.meta.whatsapp import addressed_to

    assert addressed_to("34600111222") == {"to": "+34600111222"}
    assert addressed_to("US.13491208655302741918") == {"recipient": "US.13491208655302741918"}
    assert addressed_to("US.ENT.9876543210") == {"recipient": "US.ENT.9876543210"}


def test_batched_entries_all_become_events() -> None:
    events = parse_webhook(IG, fixture("ig_batched"))
    assert [e.kind for e in events] == [
        EventKind.IG_MESSAGE,
        EventKind.IG_MESSAGE,
        EventKind.IG_READ,
        EventKind.IG_COMMENT,
        EventKind.UNKNOWN,
    ]
    assert len({e.dedupe_key for e in events}) == 5


def test_unknown_shapes_never_crash() -> None:
    [unknown] = parse_webhook(WA, fixture("wa_unknown_field"))
    assert unknown.kind == EventKind.UNKNOWN and unknown.raw["field"] == "account_update"
    broken = {
        "object": "instagram",
        "entry": [{"id": "1", "messaging": [{"message": {"no_mid": True}}, "string", 5]}],
    }
    events = parse_webhook(IG, broken)
    assert [e.kind for e in events] == [EventKind.UNKNOWN] * 3
    assert len({e.dedupe_key for e in events}) == 3


@pytest.mark.parametrize(
    "body", [[], "text", {"object": "instagram", "entry": "x"}, {"object": "page_x", "entry": []}]
)
def test_not_a_webhook(body) -> None:
    with pytest.raises(PayloadError):
        parse_webhook(IG, body)
