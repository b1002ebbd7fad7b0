"""SMS via email (seed 003): a text sent as an email to the carrier's
email-to-text address of the recipient, e.g. 2015550123@vtext.com.

Pure Python: the address and the checks are here; the email itself leaves
through Odoo's outgoing mail server, by the ``mailer`` callable the ORM puts
in the config (``mailer(address, body, uuid)`` returns a reference, or raises
:class:`MailerError` with a plain explanation).

Its limits, stated to users too (readme/CONFIGURE.md, the gateway form):
- no delivery report: "sent" means the mail server took the email;
- the carrier may drop or delay it without saying, and several US carriers
  closed their gateways (T-Mobile in December 2024, AT&T on 17 June 2025,
  Verizon announced for 31 March 2027; source: sigspan.com/carrier-gateway-
  shutdown and suped.com, read December 2026);
- short texts only (MAX_CHARS), no pictures, one carrier per contact;
- not for marketing: carriers filter bulk email-to-text as spam.
"""

import re

from .base import Gateway
from .media import region_of

MAX_CHARS = 160  # carriers cut or split longer texts, each their own way
REGIONS = frozenset({"US", "CA"})  # the carriers listed are North American
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")


class MailerError(Exception):
    """The outgoing mail server refused the email; the message is plain."""


def carrier_address(number, domain):
    """The email-to-text address of ``number`` (E.164, +1) at ``domain``."""
    return f"{number[2:]}@{domain}"


class EmailSmsGateway(Gateway):
    provider = "email_sms"
    label = "SMS via email"
    default_base_url = ""
    max_batch = 1
    max_chars = MAX_CHARS

    def __init__(self, config):
        super().__init__(config)
        self.mailer = (config or {}).get("mailer")

    def _message_problem(self, message):
        problem = super()._message_problem(message)
        if problem:
            return problem
        if region_of(message.number) not in REGIONS:
            return self.failed(
                message,
                "invalid_number",
                f"SMS via email reaches only US and Canadian mobile numbers; "
                f"{message.number} is not one.",
            )
        domain = (message.carrier or "").strip().lower()
        if not domain:
            return self.failed(
                message,
                "invalid_number",
                "The contact has no mobile carrier: choose it on the contact "
                "(SMS via email needs it to build the address).",
            )
        if not DOMAIN_RE.match(domain):
            return self.failed(
                message,
                "invalid_number",
                f"'{domain}' is not a valid email domain for a carrier.",
            )
        if len(message.body) > self.max_chars:
            return self.failed(
                message,
                "rejected",
                f"SMS via email takes at most {self.max_chars} characters (the "
                f"carrier cuts longer texts); this one has {len(message.body)}.",
            )
        return None

    def send(self, messages, before_request=None, after_request=None):
        """Each message is one email, handed to the mailer in this thread."""
        results = []
        for message in messages:
            problem = self._message_problem(message)
            if problem:
                results.append(problem)
                continue
            if not self.mailer:
                results.append(
                    self.failed(
                        message, "unknown", "No outgoing mail server is available."
                    )
                )
                continue
            if before_request is not None and before_request([message]) is False:
                results.append(self.skipped(message))
                continue
            address = carrier_address(message.number, message.carrier.strip().lower())
            try:
                reference = self.mailer(address, message.body, message.uuid)
            except MailerError as error:
                result = self.failed(message, "server_error", str(error))
            else:
                result = self.accepted(message, provider_id=f"email-{reference}")
            results.append(result)
            if after_request is not None:
                after_request([result])
        return results

    def test_connection(self):
        return (
            "SMS via email sends through Odoo's outgoing mail server: test that "
            "server in Settings > Technical > Outgoing Mail Servers."
        )

    @classmethod
    def check_sender(cls, sender):
        if sender and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", sender):
            return (
                "The sender of SMS via email is the email address the texts come "
                "from (replies go there), e.g. frontdesk@example.com."
            )
        return None
