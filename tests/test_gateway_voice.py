"""Voice adapters against the fake provider (real HTTP on 127.0.0.1): each
provider's call request (shape, authentication), its signed status
callbacks, machine detection and the forward answer to inbound calls."""

import base64
import json
import uuid

import pytest

from odoo.addons.text_messaging.gateways import GatewayError, WebhookRequest
from odoo.addons.text_messaging.gateways.voice import (
    MAX_SPOKEN_LENGTH,
    CallReport,
    OutgoingCall,
    get_voice_gateway,
    spoken_language,
)
from odoo.addons.text_messaging.tests.fake_provider import (
    DEFAULT_SENDERS,
    FakeProvider,
    request_fields,
)

NUMBER = "+12015550001"
STATUS_URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n/voice/status"
INBOUND_URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n/voice/inbound"
ANSWER_URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n/voice/answer"
PROVIDERS = ("twilio", "vonage", "telnyx", "plivo")


@pytest.fixture(scope="module")
def fake():
    with FakeProvider() as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.reset()


def adapter(fake, provider, **overrides):
    config = fake.webhook_config(provider, status_url=STATUS_URL, **overrides)
    return get_voice_gateway(provider, config)


def call(body="Your session is tomorrow at 10:00.", language="en-US", number=NUMBER):
    sms_uuid = uuid.uuid4().hex
    return OutgoingCall(
        sms_uuid, number, body, language=language, answer_url=f"{ANSWER_URL}?sms=x"
    )


def build(url, headers, body, method="POST"):
    return WebhookRequest(**request_fields(url, headers, body, method))


def test_spoken_language_per_recipient_language():
    assert spoken_language("fr_FR") == "fr-FR"
    assert spoken_language("fr_BE") == "fr-FR"
    assert spoken_language("es_419") == "es-ES"
    assert spoken_language("pt_BR") == "pt-BR"
    assert spoken_language("ja_JP") == "en-US"
    assert spoken_language(False) == "en-US"


def test_twilio_call_wire_format(fake):
    creds = fake.credentials["twilio"]
    placed = call(body="Rappel : séance demain à 10 h & <vous>", language="fr-FR")
    (result,) = adapter(fake, "twilio").send([placed])

    assert result.outcome == "accepted"
    assert result.provider_id.startswith("CA")
    (record,) = fake.received
    assert record.kind == "call"
    assert record.path == f"/2010-04-01/Accounts/{creds['account_sid']}/Calls.json"
    assert record.headers["Content-Type"] == "application/x-www-form-urlencoded"
    token = base64.b64encode(
        f"{creds['account_sid']}:{creds['auth_token']}".encode()
    ).decode()
    assert record.headers["Authorization"] == f"Basic {token}"
    assert record.body["To"] == NUMBER
    assert record.body["From"] == DEFAULT_SENDERS["twilio"]
    assert record.body["MachineDetection"] == "DetectMessageEnd"
    assert record.body["StatusCallback"] == STATUS_URL
    (placed_call,) = fake.calls("twilio")
    assert placed_call["body"] == "Rappel : séance demain à 10 h & <vous>"
    assert (placed_call["language"], placed_call["voice"]) == ("fr-FR", "Polly.Lea")
    assert "&amp; &lt;vous&gt;" in record.body["Twiml"]


def test_vonage_call_wire_format_and_jwt(fake):
    placed = call(language="de-DE")
    (result,) = adapter(fake, "vonage").send([placed])

    assert result.outcome == "accepted", result.detail
    (record,) = fake.received
    assert (record.kind, record.path, record.authorized) == ("call", "/v1/calls", True)
    assert record.headers["Authorization"].startswith("Bearer ")
    body = record.body
    assert body["to"] == [{"type": "phone", "number": NUMBER[1:]}]
    assert body["from"] == {"type": "phone", "number": DEFAULT_SENDERS["vonage"][1:]}
    assert body["ncco"] == [
        {"action": "talk", "text": placed.body, "language": "de-DE"}
    ]
    assert body["advanced_machine_detection"]["mode"] == "detect_beep"
    assert body["event_url"] == [STATUS_URL]


def test_vonage_call_refused_with_another_key(fake):
    wrong = dict(fake.credentials["vonage"], voice_application_id="not-ours")
    gateway = get_voice_gateway(
        "vonage", fake.config("vonage", credentials=wrong, status_url=STATUS_URL)
    )
    (result,) = gateway.send([call()])
    assert result.outcome == "failed"
    assert result.failure_code == "authentication"
    assert fake.credentials["vonage"]["voice_private_key"] not in result.detail


def test_vonage_bad_private_key_is_explained(fake):
    wrong = dict(fake.credentials["vonage"], voice_private_key="not a key")
    gateway = get_voice_gateway("vonage", fake.config("vonage", credentials=wrong))
    (result,) = gateway.send([call()])
    assert result.outcome == "failed"
    assert result.failure_code == "authentication"
    assert "not a PEM RSA key" in result.detail
    assert not fake.received


def test_telnyx_texml_call_wire_format(fake):
    creds = fake.credentials["telnyx"]
    (result,) = adapter(fake, "telnyx").send([call(language="es-US")])

    assert result.outcome == "accepted", result.detail
    assert result.provider_id.startswith("v3:")
    (record,) = fake.received
    assert record.path == f"/v2/texml/calls/{creds['voice_application_id']}"
    assert record.headers["Authorization"] == f"Bearer {creds['api_key']}"
    assert record.headers["Content-Type"].startswith("application/json")
    assert record.body["MachineDetection"] == "DetectMessageEnd"
    assert record.body["StatusCallback"] == STATUS_URL
    (placed,) = fake.calls("telnyx")
    assert (placed["language"], placed["voice"]) == ("es-US", "Polly.Lupe")


def test_plivo_call_wire_format(fake):
    creds = fake.credentials["plivo"]
    placed = call()
    (result,) = adapter(fake, "plivo").send([placed])

    assert result.outcome == "accepted", result.detail
    (record,) = fake.received
    assert record.path == f"/v1/Account/{creds['auth_id']}/Call/"
    assert record.authorized
    assert record.body == {
        "from": DEFAULT_SENDERS["plivo"][1:],
        "to": NUMBER[1:],
        "answer_url": placed.answer_url,
        "answer_method": "POST",
        "machine_detection": "true",
        "hangup_url": STATUS_URL,
        "hangup_method": "POST",
    }


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_error_is_a_clear_failure(fake, provider):
    fake.errors[NUMBER] = "21215" if provider != "telnyx" else "10016"
    (result,) = adapter(fake, provider).send([call()])
    assert result.outcome == "failed"
    assert result.detail
    for secret in fake.secrets():
        assert secret not in result.detail


@pytest.mark.parametrize("provider", PROVIDERS)
def test_bad_input_is_refused_before_any_request(fake, provider):
    gateway = adapter(fake, provider)
    results = gateway.send(
        [
            call(body=""),
            call(body="x" * (MAX_SPOKEN_LENGTH + 1)),
            call(number="12345"),
            call(body="Emoji 🎉 and accents: ça va"),
        ]
    )
    assert [r.outcome for r in results] == ["failed", "failed", "failed", "accepted"]
    assert "at most 3000" in results[1].detail
    assert len(fake.received) == 1


def test_alphanumeric_sender_cannot_call(fake):
    gateway = adapter(fake, "twilio", sender="Clinic")
    (result,) = gateway.send([call()])
    assert result.outcome == "failed"
    assert "phone number" in result.detail
    assert not fake.received


def test_providers_without_voice_refuse():
    for provider in ("clicksend", "simpletexting", "eztexting"):
        with pytest.raises(GatewayError, match="cannot place calls"):
            get_voice_gateway(provider, {})


@pytest.mark.parametrize(
    "provider,completed,answered_by",
    [
        ("twilio", "completed", "machine_end_beep"),
        ("telnyx", "completed", "machine_end_beep"),
        ("plivo", "completed", "machine"),
        ("vonage", "completed", None),
    ],
)
def test_signed_call_callbacks(fake, provider, completed, answered_by):
    gateway = adapter(fake, provider)
    headers, body = fake.call_callback(
        provider,
        "call-1",
        completed,
        STATUS_URL,
        duration=42,
        answered_by=answered_by,
        price=0.0135 if provider in ("vonage", "plivo") else None,
    )
    request = build(STATUS_URL, headers, body)
    assert gateway.verify(request)
    (report,) = gateway.parse_status(request)
    assert isinstance(report, CallReport)
    assert (report.provider_id, report.status, report.duration) == (
        "call-1",
        "delivered",
        42,
    )
    assert report.call_result == "answered"
    if answered_by:
        assert report.answered_by == "machine"
    if provider in ("vonage", "plivo"):
        assert report.price == pytest.approx(0.0135)
    # A forged (unsigned) or tampered callback never passes.
    unsigned = build(
        STATUS_URL,
        *fake.call_callback(provider, "call-1", completed, STATUS_URL, sign=False),
    )
    assert not gateway.verify(unsigned)
    tampered = build(STATUS_URL, headers, body.replace(b"42", b"43"))
    assert not adapter(fake, provider).verify(tampered)


def test_vonage_machine_event_and_unanswered_calls(fake):
    gateway = adapter(fake, "vonage")
    machine = build(
        STATUS_URL, *fake.call_callback("vonage", "call-2", "machine", STATUS_URL)
    )
    (report,) = gateway.parse_status(machine)
    assert (report.status, report.answered_by) == ("sent", "machine")
    for provider, word in (
        ("vonage", "unanswered"),
        ("twilio", "no-answer"),
        ("plivo", "busy"),
    ):
        request = build(
            STATUS_URL, *fake.call_callback(provider, "call-3", word, STATUS_URL)
        )
        (report,) = adapter(fake, provider).parse_status(request)
        assert (report.status, report.call_result) == ("failed", "not_answered")
        assert report.failure_code == "rejected"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_inbound_call_is_forwarded(fake, provider):
    gateway = adapter(fake, provider)
    request = build(INBOUND_URL, *fake.incoming_call(provider, NUMBER, INBOUND_URL))
    assert gateway.verify(request)
    content_type, body = gateway.forward_answer(request, "+12125550199")
    if provider == "vonage":
        assert content_type == "application/json"
        (connect,) = json.loads(body)
        assert connect["action"] == "connect"
        assert connect["endpoint"] == [{"type": "phone", "number": "12125550199"}]
    else:
        assert content_type == "text/xml"
        assert "<Dial>" in body and "2125550199" in body
    forged = build(
        INBOUND_URL, *fake.incoming_call(provider, NUMBER, INBOUND_URL, sign=False)
    )
    assert not adapter(fake, provider).verify(forged)


def test_plivo_answer_waits_for_the_beep_on_a_machine(fake):
    gateway = adapter(fake, "plivo")
    url = ANSWER_URL + "?sms=" + "a" * 32
    headers, body = fake.call_callback(
        "plivo", "call-4", "in-progress", url, answered_by="machine"
    )
    request = build(url, headers, body)
    assert gateway.verify(request)
    _type, document = gateway.answer_document(request, "Bonjour & à demain", "fr_FR")
    assert '<Wait length="30" beep="true"/>' in document
    assert '<Speak voice="WOMAN" language="fr-FR">Bonjour &amp; à demain' in document
    human = build(
        url, *fake.call_callback("plivo", "call-4", "in-progress", url, answered_by="x")
    )
    assert "<Wait" not in gateway.answer_document(human, "Hi", "en_US")[1]
