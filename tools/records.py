"""Ingest records: a client, a conversation and a message as any source describes them.

Validated by pydantic (timezone-aware times, the domain's enums, lengths), so every source
(JSONL, WhatsApp and email files, webhooks, the HTTP ingest API) shares one set of rules.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from tools.models import Channel, Direction, Outcome
from tools.text import phone_digits

MAX_TEXT = 20_000


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _blank_to_none(value: Any) -> Any:
    """Strings are stripped; empty ones mean "not given"."""
    value = _strip(value)
    return None if value == "" else value


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.lower()
    if "@" not in value:
        raise ValueError("is not an email address")
    return value


def _phone(value: str | None) -> str | None:
    if value is not None and not phone_digits(value):
        raise ValueError("has no digits")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


Optional = Annotated[str | None, BeforeValidator(_blank_to_none)]
Stripped = Annotated[str, BeforeValidator(_strip)]
_CONFIG = ConfigDict(
    coerce_numbers_to_str=True,
    validate_by_name=True,
    validate_by_alias=True,
    extra="ignore",
)


class ClientIn(BaseModel):
    """A client as a source describes it; `key` (the source's id) identifies it within the owner.

    Without a key, the email, then the phone, identify the client.
    """

    model_config = _CONFIG

    key: Stripped = Field(min_length=1, max_length=200, validation_alias=AliasChoices("key", "id"))
    name: Stripped = Field(min_length=1, max_length=200)
    email: Annotated[Optional, AfterValidator(_email)] = Field(default=None, max_length=320)
    phone: Annotated[Optional, AfterValidator(_phone)] = Field(default=None, max_length=64)
    company: Optional = Field(default=None, max_length=200)
    industry: Optional = Field(default=None, max_length=100)
    tags: list[str] = Field(default_factory=list)
    notes: Optional = None

    @model_validator(mode="before")
    @classmethod
    def _derive_key(cls, data: Any) -> Any:
        if not isinstance(data, dict) or _blank_to_none(data.get("key", data.get("id"))):
            return data
        email = _blank_to_none(data.get("email"))
        phone = _blank_to_none(data.get("phone"))
        if isinstance(email, str):
            key = f"email:{email.strip().lower()}"
        elif isinstance(phone, str | int) and phone_digits(str(phone)):
            key = f"phone:{phone_digits(str(phone))}"
        else:
            raise ValueError("needs an id, an email or a phone to be identified")
        return {**data, "key": key}


class ConversationIn(BaseModel):
    """A conversation as a source describes it; without a key, one per client and channel."""

    model_config = _CONFIG

    key: Stripped = Field(default="", max_length=200, validation_alias=AliasChoices("key", "id"))
    channel: Channel
    subject: Optional = Field(default=None, max_length=300)
    status: Stripped = Field(default="active", max_length=32)
    outcome: Outcome = Outcome.open
    success_score: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("outcome") in (None, ""):
            data = {k: v for k, v in data.items() if k != "outcome"}
        return data


class MessageIn(BaseModel):
    """One message to store, with the client and conversation it belongs to.

    Without an `external_id`, a hash of time, direction and text keeps re-imports idempotent;
    without a sender, an inbound message is from the client.
    """

    model_config = _CONFIG

    client: ClientIn
    conversation: ConversationIn
    external_id: Stripped = Field(
        default="", max_length=200, validation_alias=AliasChoices("external_id", "id")
    )
    direction: Direction
    sender: Stripped = Field(default="", max_length=200)
    sent_at: Annotated[AwareDatetime, AfterValidator(_utc)]
    text: str = Field(max_length=MAX_TEXT)
    attachments: list[str] = Field(
        default_factory=list, description="names or URLs of files sent with the message"
    )

    @model_validator(mode="after")
    def _fill_defaults(self) -> MessageIn:
        if not self.conversation.key:
            self.conversation.key = f"{self.client.key}:{self.conversation.channel.value}"
        if not self.sender and self.direction is Direction.inbound:
            self.sender = self.client.name
        if not self.external_id:
            seed = f"{self.sent_at.isoformat()}\x00{self.direction.value}\x00{self.text}"
            self.external_id = f"sha1:{hashlib.sha1(seed.encode()).hexdigest()}"
        return self
