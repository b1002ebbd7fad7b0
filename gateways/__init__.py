"""SMS gateway adapters (pure Python, no ``odoo`` import).

``get_gateway(provider, config)`` builds the adapter for a provider code.
"""

from .base import (
    FAILURE_CODES,
    STATUSES,
    Gateway,
    GatewayError,
    InboundMessage,
    LookupResult,
    OutgoingMessage,
    RateLimiter,
    ReplayGuard,
    SendResult,
    StatusReport,
    WebhookError,
    WebhookRequest,
)
from .clicksend import ClickSendGateway
from .email_sms import EmailSmsGateway
from .eztexting import EZTextingGateway
from .plivo import PlivoGateway
from .sandbox import SandboxGateway
from .simpletexting import SimpleTextingGateway
from .telnyx import TelnyxGateway
from .twilio import TwilioGateway
from .vonage import VonageGateway

PROVIDERS = {
    gateway.provider: gateway
    for gateway in (
        SandboxGateway,
        TwilioGateway,
        ClickSendGateway,
        VonageGateway,
        TelnyxGateway,
        PlivoGateway,
        SimpleTextingGateway,
        EZTextingGateway,
        EmailSmsGateway,
    )
}


def get_gateway(provider, config):
    """The adapter for ``provider`` built from ``config``."""
    try:
        gateway_class = PROVIDERS[provider]
    except KeyError:
        raise GatewayError(f"Unknown text-messaging provider '{provider}'.") from None
    return gateway_class(config)
