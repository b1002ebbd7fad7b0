"""Picture messages (MMS) of every adapter against the fake provider: the wire
format of each provider, its authentication, the refusals, inbound media and
their download (real HTTP on 127.0.0.1)."""

import base64
import uuid

import pytest
import requests

from odoo.addons.text_messaging.gateways import OutgoingMessage, WebhookRequest
from odoo.addons.text_messaging.gateways.clicksend import ClickSendGateway
from odoo.addons.text_messaging.gateways.media import Media, MediaError
from odoo.addons.text_messaging.gateways.plivo import PlivoGateway
from odoo.addons.text_messaging.gateways.telnyx import TelnyxGateway
from odoo.addons.text_messaging.gateways.twilio import TwilioGateway
from odoo.addons.text_messaging.gateways.vonage import VonageGateway
from odoo.addons.text_messaging.tests.fake_provider import (
    FakeProvider,
    request_fields,
)

US = "+15551230001"
CA = "+14165550123"
FR = "+33612345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def picture(name="a", content_type="image/png", size=2000):
    return Media(f"https://odoo.example.com/media/{name}.png", content_type, size)


def mms(number=US, media=None, body="Your new glasses are ready."):
    media = (picture(),) if media is None else media
    return OutgoingMessage(uuid.uuid4().hex, number, body, media=tuple(media))


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_twilio_sends_each_image_as_a_media_url(fake):
    creds = fake.credentials["twilio"]
    gateway = TwilioGateway(fake.config("twilio"))
    sent = mms(media=(picture("a"), picture("b", "image/jpeg")))
    (result,) = gateway.send([sent])
    assert result.outcome == "accepted"
    assert result.provider_id.startswith("MM")
    (record,) = fake.received
    assert record.headers["Authorization"] == basic(
        creds["account_sid"], creds["auth_token"]
    )
    assert record.body["MediaUrl"] == [
        "https://odoo.example.com/media/a.png",
        "https://odoo.example.com/media/b.png",
    ]
    assert record.body["Body"] == "Your new glasses are ready."
    assert record.body["To"] == US


def test_twilio_text_without_images_has_no_media_url(fake):
    gateway = TwilioGateway(fake.config("twilio"))
    (result,) = gateway.send([mms(media=())])
    assert result.outcome == "accepted" and result.provider_id.startswith("SM")
    assert "MediaUrl" not in fake.received[0].body


def test_telnyx_sends_mms_type_with_media_urls(fake):
    gateway = TelnyxGateway(fake.config("telnyx"))
    (result,) = gateway.send([mms(number=CA)])
    assert result.outcome == "accepted"
    (record,) = fake.received
    assert record.headers["Authorization"] == (
        f"Bearer {fake.credentials['telnyx']['api_key']}"
    )
    assert record.body["type"] == "MMS"
    assert record.body["media_urls"] == ["https://odoo.example.com/media/a.png"]
    assert record.body["to"] == CA


def test_plivo_sends_mms_type_with_media_urls(fake):
    creds = fake.credentials["plivo"]
    gateway = PlivoGateway(fake.config("plivo"))
    (result,) = gateway.send([mms()])
    assert result.outcome == "accepted"
    (record,) = fake.received
    assert record.headers["Authorization"] == basic(
        creds["auth_id"], creds["auth_token"]
    )
    assert record.body["type"] == "mms"
    assert record.body["media_urls"] == ["https://odoo.example.com/media/a.png"]
    assert record.body["dst"] == US[1:]


def test_clicksend_uses_its_mms_endpoint_one_request_per_image(fake):
    creds = fake.credentials["clicksend"]
    gateway = ClickSendGateway(fake.config("clicksend"))
    same = picture("shared", "image/jpeg", 100_000)
    messages = [
        mms(media=(same,)),
        mms(number="+15551230002", media=(same,)),
        mms(number="+61412345678", media=(picture("other", "image/gif", 50_000),)),
        mms(number="+15551230003", media=()),
    ]
    results = gateway.send(messages)
    assert [r.outcome for r in results] == ["accepted"] * 4
    by_path = {}
    for record in fake.received:
        by_path.setdefault(record.path, []).append(record)
    assert len(by_path["/v3/mms/send"]) == 2  # one per shared image
    assert len(by_path["/v3/sms/send"]) == 1
    shared = next(
        r
        for r in by_path["/v3/mms/send"]
        if r.body["media_file"].endswith("shared.png")
    )
    assert shared.headers["Authorization"] == basic(creds["username"], creds["api_key"])
    assert [m["to"] for m in shared.body["messages"]] == [US, "+15551230002"]
    assert all(m["subject"] == "Your new glasses are" for m in shared.body["messages"])
    assert {m["custom_string"] for m in shared.body["messages"]} == {
        messages[0].uuid,
        messages[1].uuid,
    }


@pytest.mark.parametrize(
    ("gateway_class", "number", "media", "words"),
    [
        (VonageGateway, US, (picture(),), "cannot send pictures"),
        (TwilioGateway, FR, (picture(),), "only to numbers of CA, US"),
        (TelnyxGateway, FR, (picture(),), "only to numbers of CA, US"),
        (PlivoGateway, FR, (picture(),), "only to numbers of CA, US"),
        (TwilioGateway, US, tuple(picture(str(n)) for n in range(11)), "at most 10"),
        (ClickSendGateway, US, (picture("a"), picture("b")), "at most 1 image"),
        (ClickSendGateway, US, (picture(size=300 * 1024),), "300 kB is larger"),
        (TwilioGateway, US, (picture(size=6 * 1024 * 1024),), "more than the 5.0 MB"),
        (TelnyxGateway, US, (picture(size=2 * 1024 * 1024),), "more than the 1.0 MB"),
        (TwilioGateway, US, (picture(content_type="application/pdf"),), "GIF, JPEG"),
    ],
)
def test_refusals_never_reach_the_provider(fake, gateway_class, number, media, words):
    gateway = gateway_class(fake.config(gateway_class.provider))
    (result,) = gateway.send([mms(number=number, media=media)])
    assert result.outcome == "failed"
    assert result.failure_code == "rejected"
    assert not result.retryable
    assert words in result.detail
    assert fake.received == []


def test_fake_fetches_media_like_a_provider(fake):
    """The fake downloads what it is given (used by the Odoo tests)."""
    fake.media_files["p.png"] = ("image/png", PNG)
    fake.fetch_media = True
    gateway = TwilioGateway(fake.config("twilio"))
    url = f"{fake.url}/media/p.png"
    (result,) = gateway.send([mms(media=(Media(url, "image/png", len(PNG)),))])
    assert result.outcome == "accepted"
    (fetch,) = fake.media_fetches
    assert (fetch["status"], fetch["content_type"], fetch["size"]) == (
        200,
        "image/png",
        len(PNG),
    )


# ----------------------------------------------------------------------
# inbound picture messages
# ----------------------------------------------------------------------
def inbound(fake, provider, url, fields):
    headers, body = fake.inbound_callback(provider, US, "Look", url, fields=fields)
    return WebhookRequest(**request_fields(url, headers, body))


def test_twilio_inbound_media_parsed_and_downloaded_with_basic_auth(fake):
    creds = fake.credentials["twilio"]
    fake.media_files["in.jpg"] = ("image/jpeg", b"\xff\xd8jpeg")
    fake.media_auth = (creds["account_sid"], creds["auth_token"])
    gateway = TwilioGateway(fake.webhook_config("twilio"))
    url = "https://odoo.example.com/text_messaging/webhook/1/tok/inbound"
    fields = {
        "NumMedia": "2",
        "MediaUrl0": f"{fake.url}/media/in.jpg",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "javascript:alert(1)",
        "MediaContentType1": "image/png",
    }
    request = inbound(fake, "twilio", url, fields)
    assert gateway.verify(request)
    (message,) = gateway.parse_inbound(request)
    assert message.media == (Media(f"{fake.url}/media/in.jpg", "image/jpeg", 0),)
    assert gateway.fetch_media(message.media[0]) == (b"\xff\xd8jpeg", "image/jpeg")
    # Without the credentials the media store refuses: they were sent.
    fake.media_auth = ("someone", "else")
    with pytest.raises(MediaError, match="HTTP 401"):
        gateway.fetch_media(message.media[0])


def test_telnyx_inbound_media_parsed(fake):
    gateway = TelnyxGateway(fake.webhook_config("telnyx"))
    url = "https://odoo.example.com/text_messaging/webhook/1/tok/inbound"
    media = [{"url": f"{fake.url}/media/x.png", "content_type": "image/png", "size": 9}]
    request = inbound(fake, "telnyx", url, {"media": media, "type": "MMS"})
    assert gateway.verify(request)
    (message,) = gateway.parse_inbound(request)
    assert message.media == (Media(f"{fake.url}/media/x.png", "image/png", 9),)


def test_plivo_inbound_media_parsed(fake):
    gateway = PlivoGateway(fake.webhook_config("plivo"))
    url = "https://odoo.example.com/text_messaging/webhook/1/tok/inbound"
    fields = {"Type": "mms", "Media0": f"{fake.url}/media/y.gif"}
    request = inbound(fake, "plivo", url, fields)
    assert gateway.verify(request)
    (message,) = gateway.parse_inbound(request)
    assert message.media == (Media(f"{fake.url}/media/y.gif", "", 0),)


def test_download_refuses_wrong_type_too_large_and_foreign_credentials(fake):
    creds = fake.credentials["plivo"]
    gateway = PlivoGateway(fake.config("plivo"))
    fake.media_files["page.html"] = ("text/html", b"<script>")
    fake.media_files["big.png"] = ("image/png", b"\0" * (5 * 1024 * 1024 + 1))
    with pytest.raises(MediaError, match="text/html"):
        gateway.fetch_media(Media(f"{fake.url}/media/page.html"))
    with pytest.raises(MediaError, match="5.0 MB"):
        gateway.fetch_media(Media(f"{fake.url}/media/big.png"))
    with pytest.raises(MediaError, match="not a web address"):
        gateway.fetch_media(Media("file:///etc/passwd"))
    # The provider's credentials go only to the provider's own API host.
    seen = []

    def spy(self, url, **kwargs):
        seen.append((url, kwargs.get("auth")))
        raise requests.ConnectionError("no")

    original = requests.Session.get
    requests.Session.get = spy
    try:
        with pytest.raises(MediaError):
            gateway.fetch_media(Media("https://elsewhere.example.com/x.png"))
        with pytest.raises(MediaError):
            gateway.fetch_media(Media(f"{fake.url}/media/x.png"))
    finally:
        requests.Session.get = original
    assert seen == [
        ("https://elsewhere.example.com/x.png", None),
        (f"{fake.url}/media/x.png", (creds["auth_id"], creds["auth_token"])),
    ]
