"""Sandbox gateway: accepts every message, sends nothing (no HTTP at all)."""

from .base import Gateway


class SandboxGateway(Gateway):
    """Local provider for demos and tests: every message is accepted."""

    provider = "sandbox"
    label = "Sandbox"
    default_base_url = ""
    max_batch = 1000

    def send(self, messages):
        return [
            self.accepted(message, provider_id=f"sandbox-{message.uuid}")
            for message in messages
        ]

    def test_connection(self):
        return "The sandbox gateway is ready: messages are stored, never sent."

    @classmethod
    def check_sender(cls, sender):
        if sender and len(sender) > 64:
            return "The sender must have at most 64 characters."
        return None
