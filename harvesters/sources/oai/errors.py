"""The OAI-PMH error codes as exceptions: one class per code, one table, one common base.

An OAI-PMH repository reports a failed request as ``<error code="...">message</error>`` inside a
normal HTTP 200 response. Each code of the OAI-PMH 2.0 specification (section 3.6) has a class
here, all subclasses of ``OAIError`` (itself a ``HarvestError``), so ``except OAIError`` catches
every one of them (sickle's ``NoRecordsMatch`` and friends notoriously do not share a base).
A code outside the specification (``undefinedError`` and the like) becomes a plain ``OAIError``
carrying that code. ``ERROR_CLASSES`` is the one mapping; ``oai_error`` builds the exception.

``noRecordsMatch`` is an exception class too, but ``harvesters.sources.oai.client`` turns it into
an empty, successful list when it answers the first page of a list request.
"""

from __future__ import annotations

from harvesters.core.errors import HarvestError


class OAIError(HarvestError):
    """An OAI-PMH ``<error>`` response; ``code`` is the code as the repository sent it."""

    default_code = "undefinedError"

    def __init__(self, message: str = "", code: str | None = None, url: str | None = None) -> None:
        self.code = code or self.default_code
        self.url = url
        self.oai_message = message
        where = f"{url}: " if url else ""
        super().__init__(f"{where}OAI-PMH error {self.code}" + (f": {message}" if message else ""))


class BadArgument(OAIError):
    """Illegal or missing arguments, or an illegal argument value (e.g. a bad ``from`` date)."""

    default_code = "badArgument"


class BadResumptionToken(OAIError):
    """The resumptionToken is invalid or has expired."""

    default_code = "badResumptionToken"


class BadVerb(OAIError):
    """The verb is missing, repeated or not an OAI-PMH verb."""

    default_code = "badVerb"


class CannotDisseminateFormat(OAIError):
    """The metadataPrefix is not supported by the item or by the repository."""

    default_code = "cannotDisseminateFormat"


class IdDoesNotExist(OAIError):
    """The identifier is unknown or illegal in this repository."""

    default_code = "idDoesNotExist"


class NoRecordsMatch(OAIError):
    """The from/until/set/metadataPrefix combination matches no record (an empty list)."""

    default_code = "noRecordsMatch"


class NoMetadataFormats(OAIError):
    """There are no metadata formats for the item."""

    default_code = "noMetadataFormats"


class NoSetHierarchy(OAIError):
    """The repository does not support sets."""

    default_code = "noSetHierarchy"


ERROR_CLASSES: dict[str, type[OAIError]] = {
    cls.default_code: cls
    for cls in (
        BadArgument,
        BadResumptionToken,
        BadVerb,
        CannotDisseminateFormat,
        IdDoesNotExist,
        NoRecordsMatch,
        NoMetadataFormats,
        NoSetHierarchy,
    )
}


def oai_error(code: str | None, message: str = "", url: str | None = None) -> OAIError:
    """The exception for ``code``: its class from ``ERROR_CLASSES``, else a plain ``OAIError``."""
    code = (code or "").strip() or "undefinedError"
    cls = ERROR_CLASSES.get(code, OAIError)
    return cls(" ".join(message.split()), code=code, url=url)
