"""Picture messages (MMS): what a gateway may carry, and inbound media
downloads (pure Python, no ORM).

Outgoing pictures travel as URLs the provider fetches (Odoo serves them by
signed, expiring links, see controllers/media.py). Each adapter states its
limits as class attributes (``supports_mms``, ``mms_max_media``,
``mms_max_bytes``, ``mms_max_file_bytes``, ``mms_types``, ``mms_regions``);
:func:`mms_problem` explains, in plain words, why a message cannot go.

Received pictures are downloaded by :func:`download_media`: a time-out, a size
cap read as the bytes arrive, a content-type check, and the provider's
credentials sent only to the provider's own API host.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

import phonenumbers
import requests

# Image types every MMS provider here takes (Twilio "fully supported" list;
# Telnyx and Plivo accept them too).
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
# What we keep of a received picture message: images, short videos and audio,
# PDF and contact cards. Anything else (HTML, scripts...) is refused.
INBOUND_TYPES_PREFIXES = ("image/", "video/", "audio/")
INBOUND_TYPES = frozenset(
    {"application/pdf", "text/vcard", "text/x-vcard", "text/directory"}
)
MAX_INBOUND_MEDIA = 10  # files kept per received message
MAX_INBOUND_BYTES = 5 * 1024 * 1024  # per file
DOWNLOAD_TIMEOUT = (5, 15)  # seconds: connect, read
MAX_REDIRECTS = 3
MB = 1024 * 1024


@dataclass(frozen=True)
class Media:
    """A file of a picture message: its URL (signed, for outgoing ones), its
    content type and its size in bytes (0 when the provider did not say)."""

    url: str
    content_type: str = ""
    size: int = 0


def region_of(number):
    """ISO region of an E.164 number ("US", "CA"...), "" when unknown. A
    number whose area is not known takes its country code's main region."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ""
    return (
        phonenumbers.region_code_for_number(parsed)
        or phonenumbers.region_code_for_country_code(parsed.country_code)
        or ""
    ).replace("ZZ", "")


def _size(value):
    if value >= MB:
        return f"{value / MB:.1f} MB"
    return f"{max(1, round(value / 1024))} kB"


def mms_problem(gateway, message):
    """The reason ``message`` (with ``media``) cannot go through ``gateway``,
    in plain words; "" when it can."""
    media = tuple(message.media or ())
    if not media:
        return ""
    label = gateway.label
    if not gateway.supports_mms:
        return (
            f"{label} cannot send pictures through this gateway: send the text "
            "without images, or use a gateway that sends picture messages "
            "(Twilio, Telnyx, Plivo, ClickSend)."
        )
    if gateway.mms_regions is not None:
        region = region_of(message.number)
        if region not in gateway.mms_regions:
            where = ", ".join(sorted(gateway.mms_regions))
            return (
                f"{label} sends picture messages only to numbers of {where}; "
                f"{message.number} is not one of them. Send the text without "
                "images."
            )
    if len(media) > gateway.mms_max_media:
        return (
            f"{label} takes at most {gateway.mms_max_media} image(s) per message; "
            f"this one has {len(media)}."
        )
    for item in media:
        if item.content_type not in gateway.mms_types:
            kinds = ", ".join(
                sorted(t.split("/")[1].upper() for t in gateway.mms_types)
            )
            return (
                f"{label} does not send '{item.content_type or 'unknown'}' files "
                f"in picture messages: use {kinds} images."
            )
        if gateway.mms_max_file_bytes and item.size > gateway.mms_max_file_bytes:
            return (
                f"An image of {_size(item.size)} is larger than the "
                f"{_size(gateway.mms_max_file_bytes)} {label} takes per image."
            )
    total = sum(item.size for item in media)
    if gateway.mms_max_bytes and total > gateway.mms_max_bytes:
        return (
            f"The images weigh {_size(total)} together, more than the "
            f"{_size(gateway.mms_max_bytes)} {label} takes per message."
        )
    return ""


def inbound_type_allowed(content_type):
    content_type = (content_type or "").split(";")[0].strip().lower()
    return content_type in INBOUND_TYPES or content_type.startswith(
        INBOUND_TYPES_PREFIXES
    )


class MediaError(Exception):
    """A received file that could not be kept; the message is plain."""


def download_media(session, url, auth_host="", auth=None, max_bytes=MAX_INBOUND_BYTES):
    """(content bytes, content type) of a received file at ``url``.

    ``auth`` (a requests auth) is sent only to ``auth_host`` (the provider's
    API host), never to a host a redirect leads to. Raises MediaError."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MediaError("The file's address is not a web address.")
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        host = urlsplit(current).hostname
        try:
            response = session.get(
                current,
                auth=auth if auth and host == auth_host else None,
                timeout=DOWNLOAD_TIMEOUT,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            raise MediaError(
                f"The file could not be downloaded ({type(exc).__name__})."
            ) from None
        with response:
            if response.is_redirect and response.headers.get("Location"):
                current = requests.compat.urljoin(current, response.headers["Location"])
                continue
            if response.status_code != 200:
                raise MediaError(
                    f"The provider answered HTTP {response.status_code} for the file."
                )
            content_type = (
                (response.headers.get("Content-Type") or "").split(";")[0].strip()
            ).lower()
            if not inbound_type_allowed(content_type):
                raise MediaError(
                    f"A file of type '{content_type or 'unknown'}' was not kept "
                    "(only images, video, audio, PDF and contact cards are)."
                )
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise MediaError(
                    f"A file of {_size(int(length))} was not kept (larger than "
                    f"{_size(max_bytes)})."
                )
            chunks, received = [], 0
            try:
                for chunk in response.iter_content(64 * 1024):
                    received += len(chunk)
                    if received > max_bytes:
                        raise MediaError(
                            f"A file larger than {_size(max_bytes)} was not kept."
                        )
                    chunks.append(chunk)
            except requests.RequestException as exc:
                raise MediaError(
                    f"The file could not be downloaded ({type(exc).__name__})."
                ) from None
            return b"".join(chunks), content_type
    raise MediaError("The file's address redirects too many times.")


def inbound_media(items):
    """Media of a received message from (url, content type, size) triples of
    an untrusted payload: web addresses only, at most MAX_INBOUND_MEDIA."""
    media = []
    for url, content_type, size in items:
        if not isinstance(url, str) or len(url) > 2048:
            continue
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        content_type = content_type if isinstance(content_type, str) else ""
        size = size if isinstance(size, int) and not isinstance(size, bool) else 0
        media.append(Media(url, content_type[:100].lower(), max(size, 0)))
        if len(media) >= MAX_INBOUND_MEDIA:
            break
    return tuple(media)
