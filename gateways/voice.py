"""Text-to-speech calls through the gateways (pure Python, no ORM).

A voice adapter places one call per request that speaks the message, in the
recipient's language, and leaves it as a voicemail when a machine answers.
It reuses its provider's SMS adapter for everything else: the batching,
concurrency and outcome rules of :class:`~.base.Gateway`, the error answers,
and the webhook signature checks (X-Twilio-Signature, Vonage signed JWT,
Telnyx Ed25519, Plivo V3).

Wire formats, checked against the providers' documentation:

- Twilio: ``POST /2010-04-01/Accounts/{sid}/Calls.json`` (form) with ``To``,
  ``From``, inline ``Twiml`` (``<Say voice language>``), ``MachineDetection=
  DetectMessageEnd`` (the TwiML runs after the greeting's beep, so the text
  lands in the voicemail) and ``StatusCallback``; the callback carries
  ``CallSid``, ``CallStatus``, ``CallDuration`` and ``AnsweredBy``.
  Sources: https://www.twilio.com/docs/voice/api/call-resource,
  https://www.twilio.com/docs/voice/answering-machine-detection.
- Vonage Voice API: ``POST https://api.nexmo.com/v1/calls`` (JSON) with an
  RS256 JWT of the application (``application_id`` claim, private key), an
  NCCO ``talk`` action (``text``, ``language``), ``event_url`` and
  ``advanced_machine_detection`` (``behavior: continue``, ``mode:
  detect_beep``: the NCCO starts after the beep). Events are JSON with
  ``uuid``, ``status`` (``completed``, ``busy``, ``unanswered``, ``human``,
  ``machine``...), ``duration`` and ``price``, signed with an HS256 JWT.
  Sources: https://developer.vonage.com/en/voice/voice-api/webhook-reference,
  https://developer.vonage.com/en/voice/voice-api/concepts/advanced-machine-detection.
- Telnyx: TeXML, not Call Control. TeXML places the call and speaks in one
  request (``POST /v2/texml/calls/{application id}``, JSON, inline ``Texml``,
  ``MachineDetection``, ``StatusCallback``), its instructions and callbacks
  are Twilio-compatible (``CallSid``, ``CallStatus``, ``AnsweredBy``); Call
  Control would need our server to answer each step of the call (dial, then
  ``speak`` on ``call.answered``, then hang up) through webhooks.
  Sources: https://developers.telnyx.com/api-reference/texml-rest-commands/
  create-a-connection-scoped-texml-call, https://developers.telnyx.com/docs/
  voice/programmable-voice/texml-answering-machine. UNCONFIRMED: the name of
  the call id in the answer (``call_sid``, read with ``sid``) and that TeXML
  callbacks are signed like the messaging webhooks (Ed25519).
- Plivo: ``POST /v1/Account/{auth_id}/Call/`` (JSON) with ``from``, ``to``,
  ``answer_url`` (Plivo fetches ``<Speak voice language>`` XML there),
  ``hangup_url`` and ``machine_detection``; the answer is ``{"message":
  "call fired", "request_uuid"}`` and the hangup callback carries
  ``RequestUUID``, ``CallStatus``, ``Duration``, ``TotalCost``.
  Sources: https://www.plivo.com/docs/voice/api/call/make-a-call,
  https://www.plivo.com/docs/voice/xml/speak.

Calls *to* the texting number are forwarded to the business number set on
the gateway: :meth:`VoiceMixin.forward_answer` gives the provider's forward
instruction (TwiML/TeXML ``<Dial>``, NCCO ``connect``, Plivo ``<Dial>``).
"""

import base64
import json
import time
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from .base import (
    GatewayError,
    StatusReport,
    WebhookError,
    clip,
    is_e164,
    to_float,
    to_int,
    webhook_id,
    webhook_text,
)
from .common import OutgoingMessage
from .plivo import PlivoGateway
from .sandbox import SandboxGateway
from .telnyx import TelnyxGateway
from .twilio import TwilioGateway
from .vonage import VonageGateway

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
except ImportError:  # pragma: no cover - cryptography ships with Odoo
    hashes = serialization = padding = None

MAX_SPOKEN_LENGTH = 3000  # characters spoken in one call (Twilio <Say>: 4096)
DEFAULT_LANGUAGE = "en-US"
# Languages the calls speak, with the Amazon Polly voice Twilio and Telnyx
# TeXML use for it (``<Say voice="Polly.Joanna">``).
POLLY_VOICES = {
    "en-US": "Polly.Joanna",
    "en-GB": "Polly.Amy",
    "en-AU": "Polly.Nicole",
    "fr-FR": "Polly.Lea",
    "fr-CA": "Polly.Chantal",
    "es-ES": "Polly.Lucia",
    "es-US": "Polly.Lupe",
    "es-MX": "Polly.Mia",
    "de-DE": "Polly.Vicki",
    "it-IT": "Polly.Bianca",
    "nl-NL": "Polly.Laura",
    "pt-BR": "Polly.Camila",
    "pt-PT": "Polly.Ines",
}
# First choice per language when the country is not one of the list.
LANGUAGE_DEFAULTS = {
    "en": "en-US",
    "fr": "fr-FR",
    "es": "es-ES",
    "de": "de-DE",
    "it": "it-IT",
    "nl": "nl-NL",
    "pt": "pt-BR",
}
# Normalized call results: "answered" (by a person or a machine), or why not.
CALL_RESULTS = ("answered", "not_answered", "failed", "")


def spoken_language(lang):
    """BCP 47 tag the call speaks for an Odoo language code (fr_FR, fr, es_419),
    among the supported ones; English (US) otherwise."""
    text = str(lang or "").replace("_", "-")
    if text in POLLY_VOICES:
        return text
    return LANGUAGE_DEFAULTS.get(text.split("-")[0].lower(), DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class OutgoingCall(OutgoingMessage):
    language: str = DEFAULT_LANGUAGE  # BCP 47, see spoken_language()
    answer_url: str = ""  # where the provider fetches the instructions (Plivo)


@dataclass(frozen=True)
class CallReport(StatusReport):
    """A call's status callback: a StatusReport with the call's own facts."""

    duration: int | None = None  # seconds
    answered_by: str = ""  # "human" | "machine" | ""
    call_result: str = ""  # one of CALL_RESULTS


def say_document(text, language, machine=False):
    """TwiML / TeXML that speaks ``text`` (Polly voice of ``language``)."""
    language = spoken_language(language)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"<Say voice={quoteattr(POLLY_VOICES[language])} "
        f"language={quoteattr(language)}>{escape(text)}</Say></Response>"
    )


def dial_document(number, noun=False):
    """TwiML / TeXML / Plivo XML that forwards the call to ``number``."""
    target = f"<Number>{escape(number)}</Number>" if noun else escape(number)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Dial>{target}</Dial></Response>"
    )


class VoiceMixin:
    """The voice half of an adapter; mixed before the provider's class."""

    supports_voice = True
    # raw status word -> (normalized status, call result)
    call_statuses = {}
    # raw answered-by word -> "human" | "machine"
    answered_by_words = {}
    xml_type = "text/xml"

    def _message_problem(self, message):
        problem = super()._message_problem(message)
        if problem:
            return problem
        if len(message.body) > MAX_SPOKEN_LENGTH:
            return self.failed(
                message,
                "rejected",
                f"The text has {len(message.body)} characters: a call speaks at "
                f"most {MAX_SPOKEN_LENGTH}. Shorten it.",
            )
        if not is_e164(self.sender_for(message)):
            return self.failed(
                message,
                "rejected",
                f"{self.label} places calls from a phone number: the gateway's "
                "sender must be one in international format (+15551234567).",
            )
        return None

    def _send_batch(self, batch):
        try:
            self._check_voice_credentials()
        except GatewayError as error:
            return [self.failed(call, "authentication", str(error)) for call in batch]
        return super()._send_batch(batch)

    def _check_voice_credentials(self):
        """Raise GatewayError when the voice credentials cannot be used."""

    def _call_report(self, call_id, raw, duration=None, answered_by="", price=None):
        """A CallReport from the provider's words."""
        raw = clip(raw, 64).lower()
        status, result = self.call_statuses.get(raw, ("unknown", ""))
        failure = detail = ""
        if status == "failed":
            failure = "rejected" if result == "not_answered" else "unknown"
            detail = self.failure_detail(status=raw)
        seconds = to_int(duration)
        return CallReport(
            provider_id=webhook_id(call_id, "call id"),
            status=status,
            failure_code=failure,
            detail=clip(self.redact(detail)),
            price=abs(to_float(price)) if to_float(price) is not None else None,
            raw_status=raw,
            duration=seconds if seconds is not None and 0 <= seconds < 10**6 else None,
            answered_by=self.answered_by_words.get(clip(answered_by, 64).lower(), ""),
            call_result=result,
        )

    def forward_answer(self, request, number):
        """(content type, body) that forwards an inbound call to ``number``."""
        raise NotImplementedError

    def answer_document(self, request, text, language):
        """(content type, body) of the instructions fetched at the answer URL."""
        return self.xml_type, say_document(text, language)

    def reject_answer(self, request):
        """(content type, body) that ends an inbound call (no forward number)."""
        return self.xml_type, (
            '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>'
        )


# ----------------------------------------------------------------------
# Twilio
# ----------------------------------------------------------------------
TWILIO_CALL_STATUS = {
    "queued": ("sent", ""),
    "initiated": ("sent", ""),
    "ringing": ("sent", ""),
    "in-progress": ("sent", "answered"),
    "answered": ("sent", "answered"),
    "completed": ("delivered", "answered"),
    "busy": ("failed", "not_answered"),
    "no-answer": ("failed", "not_answered"),
    "canceled": ("failed", "not_answered"),
    "failed": ("failed", "failed"),
}
TWILIO_ANSWERED_BY = {
    "human": "human",
    "machine_start": "machine",
    "machine_end_beep": "machine",
    "machine_end_silence": "machine",
    "machine_end_other": "machine",
    "fax": "machine",
}


class TwilioVoiceGateway(VoiceMixin, TwilioGateway):
    call_statuses = TWILIO_CALL_STATUS
    answered_by_words = TWILIO_ANSWERED_BY
    supports_lookup = False  # the Messages list knows nothing of calls

    def _build_request(self, batch):
        (call,) = batch
        data = [
            ("To", call.number),
            ("From", self.sender_for(call)),
            ("Twiml", say_document(call.body, call.language)),
            # Wait for the end of a voicemail greeting before speaking.
            ("MachineDetection", "DetectMessageEnd"),
        ]
        if self.status_url:
            data += [("StatusCallback", self.status_url)]
            data += [("StatusCallbackEvent", "answered")]
            data += [("StatusCallbackEvent", "completed")]
        return {
            "method": "POST",
            "url": self.url(self._account_path() + "/Calls.json"),
            "data": data,
            "auth": self._auth(),
        }

    def _parse_success(self, batch, response):
        (call,) = batch
        sid = self._json(response)["sid"]
        if not isinstance(sid, str) or not sid:
            raise ValueError("no call sid")
        return [self.accepted(call, provider_id=sid)]

    def _parse_status(self, request):
        fields = self._fields(request)
        if "CallSid" not in fields:
            raise WebhookError("Twilio call callback without CallSid.")
        return [
            self._call_report(
                fields.get("CallSid"),
                webhook_text(fields.get("CallStatus"), "CallStatus", 64, True),
                duration=fields.get("CallDuration"),
                answered_by=webhook_text(fields.get("AnsweredBy"), "AnsweredBy", 64),
                price=fields.get("Price"),
            )
        ]

    def forward_answer(self, request, number):
        return self.xml_type, dial_document(number)


# ----------------------------------------------------------------------
# Telnyx TeXML (Twilio-compatible instructions and callbacks)
# ----------------------------------------------------------------------
class TelnyxVoiceGateway(VoiceMixin, TelnyxGateway):
    credential_keys = ("api_key", "voice_application_id")
    call_statuses = TWILIO_CALL_STATUS
    answered_by_words = TWILIO_ANSWERED_BY

    def _build_request(self, batch):
        (call,) = batch
        payload = {
            "From": self.sender_for(call),
            "To": call.number,
            "Texml": say_document(call.body, call.language),
            "MachineDetection": "DetectMessageEnd",
        }
        if self.status_url:
            payload["StatusCallback"] = self.status_url
            payload["StatusCallbackMethod"] = "POST"
        application = self.credentials["voice_application_id"]
        return {
            "method": "POST",
            "url": self.url(f"/v2/texml/calls/{application}"),
            "json": payload,
            "headers": self._headers(),
        }

    def _parse_success(self, batch, response):
        (call,) = batch
        data = self._json(response)
        data = data.get("data", data) if isinstance(data, dict) else {}
        sid = data.get("call_sid") or data.get("sid")
        if not isinstance(sid, str) or not sid:
            raise ValueError("no call sid")
        return [self.accepted(call, provider_id=sid)]

    def _parse_status(self, request):
        fields = self._fields(request)
        if "CallSid" not in fields:
            raise WebhookError("Telnyx TeXML callback without CallSid.")
        return [
            self._call_report(
                fields.get("CallSid"),
                webhook_text(fields.get("CallStatus"), "CallStatus", 64, True),
                duration=fields.get("CallDuration"),
                answered_by=webhook_text(fields.get("AnsweredBy"), "AnsweredBy", 64),
            )
        ]

    def forward_answer(self, request, number):
        return self.xml_type, dial_document(number, noun=True)


# ----------------------------------------------------------------------
# Plivo
# ----------------------------------------------------------------------
PLIVO_CALL_STATUS = {
    "ringing": ("sent", ""),
    "in-progress": ("sent", "answered"),
    "completed": ("delivered", "answered"),
    "busy": ("failed", "not_answered"),
    "no-answer": ("failed", "not_answered"),
    "timeout": ("failed", "not_answered"),
    "cancel": ("failed", "not_answered"),
    "failed": ("failed", "failed"),
}


class PlivoVoiceGateway(VoiceMixin, PlivoGateway):
    call_statuses = PLIVO_CALL_STATUS
    answered_by_words = {"true": "machine", "false": "human"}

    def _message_problem(self, message):
        problem = super()._message_problem(message)
        if not problem and not getattr(message, "answer_url", ""):
            return self.failed(
                message, "unknown", "Plivo calls need an answer URL (adapter error)."
            )
        return problem

    def _build_request(self, batch):
        (call,) = batch
        payload = {
            "from": self.wire_number(self.sender_for(call)),
            "to": self.wire_number(call.number),
            "answer_url": call.answer_url,
            "answer_method": "POST",
            "machine_detection": "true",
        }
        if self.status_url:
            payload["hangup_url"] = self.status_url
            payload["hangup_method"] = "POST"
        return {
            "method": "POST",
            "url": self.url(self._account_path() + "Call/"),
            "json": payload,
            "auth": self._auth(),
        }

    def _parse_success(self, batch, response):
        (call,) = batch
        request_uuid = self._json(response)["request_uuid"]
        if isinstance(request_uuid, list) and len(request_uuid) == 1:
            request_uuid = request_uuid[0]
        if not isinstance(request_uuid, str) or not request_uuid:
            raise ValueError("no request uuid")
        return [self.accepted(call, provider_id=request_uuid)]

    def _parse_status(self, request):
        fields = self._fields(request)
        if "RequestUUID" not in fields:
            raise WebhookError("Plivo call callback without RequestUUID.")
        return [
            self._call_report(
                fields.get("RequestUUID"),
                webhook_text(fields.get("CallStatus"), "CallStatus", 64, True),
                duration=fields.get("Duration"),
                answered_by=webhook_text(fields.get("Machine"), "Machine", 16),
                price=fields.get("TotalCost"),
            )
        ]

    def answer_document(self, request, text, language):
        """Speak XML; on a machine (``Machine=true``), wait for the beep first."""
        language = spoken_language(language)
        machine = str(self._fields(request).get("Machine") or "").lower() == "true"
        wait = '<Wait length="30" beep="true"/>' if machine else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><Response>'
            f'{wait}<Speak voice="WOMAN" language={quoteattr(language)}>'
            f"{escape(text)}</Speak></Response>"
        )
        return self.xml_type, body

    def forward_answer(self, request, number):
        return self.xml_type, dial_document(self.wire_number(number), noun=True)


# ----------------------------------------------------------------------
# Vonage Voice API
# ----------------------------------------------------------------------
VONAGE_CALL_STATUS = {
    "started": ("sent", ""),
    "ringing": ("sent", ""),
    "answered": ("sent", "answered"),
    "human": ("sent", "answered"),
    "machine": ("sent", "answered"),
    "completed": ("delivered", "answered"),
    "busy": ("failed", "not_answered"),
    "cancelled": ("failed", "not_answered"),
    "unanswered": ("failed", "not_answered"),
    "timeout": ("failed", "not_answered"),
    "rejected": ("failed", "failed"),
    "failed": ("failed", "failed"),
}


def load_rsa_key(private_key_pem):
    """The private key object of a PEM text; GatewayError when it is none."""
    if serialization is None:
        raise GatewayError("Vonage calls need the cryptography package.")
    try:
        return serialization.load_pem_private_key(
            str(private_key_pem).encode("utf-8"), password=None
        )
    except (ValueError, TypeError):
        raise GatewayError(
            "The Vonage application's private key is not a PEM RSA key."
        ) from None


def rs256_jwt(claims, key):
    """A JWT signed with RS256 with ``key`` (see load_rsa_key)."""

    def b64url(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    signature = key.sign(
        f"{head}.{body}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{head}.{body}.{b64url(signature)}"


class VonageVoiceGateway(VoiceMixin, VonageGateway):
    default_base_url = "https://api.nexmo.com"
    credential_keys = ("voice_application_id", "voice_private_key")
    call_statuses = VONAGE_CALL_STATUS
    answered_by_words = {"human": "human", "machine": "machine"}
    xml_type = "application/json"

    def _check_voice_credentials(self):
        # Parsing the key costs far more than signing: once per adapter.
        if getattr(self, "_private_key", None) is None:
            self._private_key = load_rsa_key(self.credentials["voice_private_key"])

    def _bearer_token(self):
        now = int(time.time())
        claims = {
            "application_id": self.credentials["voice_application_id"],
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        self._check_voice_credentials()
        return rs256_jwt(claims, self._private_key)

    def _build_request(self, batch):
        (call,) = batch
        payload = {
            "to": [{"type": "phone", "number": self.wire_number(call.number)}],
            "from": {
                "type": "phone",
                "number": self.wire_number(self.sender_for(call)),
            },
            "ncco": [
                {
                    "action": "talk",
                    "text": call.body,
                    "language": spoken_language(call.language),
                }
            ],
            # The NCCO starts after a voicemail greeting's beep.
            "advanced_machine_detection": {
                "behavior": "continue",
                "mode": "detect_beep",
                "beep_timeout": 45,
            },
        }
        if self.status_url:
            payload["event_url"] = [self.status_url]
            payload["event_method"] = "POST"
        return {
            "method": "POST",
            "url": self.url("/v1/calls"),
            "json": payload,
            "headers": {"Authorization": f"Bearer {self._bearer_token()}"},
        }

    def _parse_success(self, batch, response):
        (call,) = batch
        call_uuid = self._json(response)["uuid"]
        if not isinstance(call_uuid, str) or not call_uuid:
            raise ValueError("no call uuid")
        return [self.accepted(call, provider_id=call_uuid)]

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", ""
        if not isinstance(data, dict):
            return "", ""
        return "", str(data.get("detail") or data.get("title") or "")

    def _parse_status(self, request):
        fields = self._fields(request)
        if "uuid" not in fields:
            raise WebhookError("Vonage call event without uuid.")
        status = webhook_text(fields.get("status"), "status", 64, True)
        answered_by = status if status in ("human", "machine") else ""
        return [
            self._call_report(
                fields.get("uuid"),
                status,
                duration=fields.get("duration"),
                answered_by=answered_by,
                price=fields.get("price"),
            )
        ]

    def forward_answer(self, request, number):
        ncco = [
            {
                "action": "connect",
                "from": self.wire_number(self.sender),
                "endpoint": [{"type": "phone", "number": self.wire_number(number)}],
            }
        ]
        return self.xml_type, json.dumps(ncco)

    def reject_answer(self, request):
        return self.xml_type, "[]"

    def answer_document(self, request, text, language):
        ncco = [{"action": "talk", "text": text, "language": spoken_language(language)}]
        return self.xml_type, json.dumps(ncco)


# ----------------------------------------------------------------------
# Sandbox: every call "placed", nothing leaves Odoo
# ----------------------------------------------------------------------
class SandboxVoiceGateway(VoiceMixin, SandboxGateway):
    def _message_problem(self, message):
        return super(VoiceMixin, self)._message_problem(message)

    def send(self, messages, before_request=None, after_request=None):
        return [
            self._message_problem(message)
            or self.accepted(message, provider_id=f"sandbox-call-{message.uuid}")
            for message in messages
        ]

    def forward_answer(self, request, number):
        return "text/plain", f"Forward to {number}"


VOICE_PROVIDERS = {
    gateway.provider: gateway
    for gateway in (
        SandboxVoiceGateway,
        TwilioVoiceGateway,
        VonageVoiceGateway,
        TelnyxVoiceGateway,
        PlivoVoiceGateway,
    )
}


def get_voice_gateway(provider, config):
    """The call-placing adapter for ``provider``; GatewayError when it has none."""
    try:
        gateway_class = VOICE_PROVIDERS[provider]
    except KeyError:
        raise GatewayError(f"The provider '{provider}' cannot place calls.") from None
    return gateway_class(config)
