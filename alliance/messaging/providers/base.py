"""What Rapport needs from an SMS provider: send one text, tell a genuine webhook from a
forged one, and read an inbound text and a delivery report out of the webhook's fields."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SenderConfig:
    """Who sends for an agency and with which credentials. The secret never appears in a
    repr (so not in a log line or a traceback's locals either)."""

    provider: str
    account_sid: str
    auth_token: str = field(repr=False)
    from_number: str = ""
    messaging_service_sid: str = ""

    @property
    def is_complete(self) -> bool:
        return bool(
            self.account_sid
            and self.auth_token
            and (self.from_number or self.messaging_service_sid)
        )


@dataclass(frozen=True)
class InboundText:
    provider_id: str
    from_number: str
    to_number: str
    body: str = field(repr=False)


class ReportStatus:
    DELIVERED, UNDELIVERED, FAILED, OTHER = "delivered", "undelivered", "failed", "other"


@dataclass(frozen=True)
class DeliveryReport:
    provider_id: str
    status: str  # a ReportStatus
    error_code: str = ""


class SmsProvider(ABC):
    """One provider. `send` raises transports.TransientError or PermanentError."""

    name: str

    @abstractmethod
    def send(
        self,
        *,
        sender: SenderConfig,
        to: str,
        body: str,
        status_callback: str = "",
        idempotency_key: str = "",
    ) -> str:
        """Send `body` to `to`; the provider's id of the message."""

    @abstractmethod
    def signature_valid(self, *, sender: SenderConfig, url: str, params: dict, headers) -> bool:
        """Whether a webhook POST to `url` with `params` was signed with the sender's secret."""

    @abstractmethod
    def inbound(self, params: dict) -> InboundText | None:
        """The text in an inbound webhook, or None if the fields are not one."""

    @abstractmethod
    def report(self, params: dict) -> DeliveryReport | None:
        """The delivery report in a status callback, or None if the fields are not one."""

    @abstractmethod
    def reply_document(self, text: str) -> tuple[str, str]:
        """The webhook answer (content, content type) that replies `text`, or replies nothing
        when `text` is empty."""
