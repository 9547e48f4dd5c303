"""The one configured HTTP client every harvester uses: timeouts, retries, backoff, a retry budget.

``HttpClient`` owns a ``requests.Session`` with a User-Agent that names the project, and all the
rules for talking to a flaky public source:

* every request has a connect and a read timeout, and the whole body is read inside the retry
  loop, so a connection cut mid-body is retried like any other transport failure; the body
  must arrive within ``max_response_time`` (a server trickling bytes, each within the read
  timeout, is cut off and retried like a timeout);
* timeouts, connection errors, broken or undecodable bodies and HTTP 429/500/502/503/504 are
  retried; ``Retry-After`` is honoured in both forms (delta-seconds and HTTP-date), clamped to
  ``max_retry_after``; otherwise the wait is exponential backoff with jitter;
* the time lost to failed attempts and waits is charged to ``retry_budget``, shared by every
  call of one client (so one client per run bounds the run); when the attempts of one request or
  the budget run out, ``SourceUnavailable`` names the URL, the attempts and the last error;
* 401/403 raise ``HttpAuthError`` (an ``AuthenticationError``) at once and other 4xx raise
  ``HttpStatusError`` (a ``SourceProtocolError``); the caller adds source-specific wording.

urllib3's ``Retry`` is deliberately not used: it has no run-wide budget, and its handling of a
date-form ``Retry-After`` is not ours to clamp.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import requests
import urllib3

from harvesters.core.errors import AuthenticationError, SourceProtocolError, SourceUnavailable

if TYPE_CHECKING:
    from harvesters.core.config import Config

log = logging.getLogger("research_index.http")

DEFAULT_USER_AGENT = "research-index/0.1 (+research project index; python-requests)"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
BACKOFF_BASE = 0.5  # seconds before the first retry (before jitter), doubling per retry
BACKOFF_CAP = 30.0  # seconds, the longest backoff wait
_EXCERPT = 200  # characters of an error body quoted in messages
_CHUNK = 256 * 1024  # bytes asked of the socket at a time

# Transport failures worth another attempt. SSLError is a ConnectionError but is not retried:
# a certificate problem does not fix itself within a run.
_RETRY_EXCEPTIONS: tuple[type[Exception], ...] = (
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class HttpAuthError(AuthenticationError):
    """HTTP 401 or 403: the source refused our credentials. Never retried."""

    def __init__(self, url: str, status: int, excerpt: str) -> None:
        super().__init__(f"GET {url}: HTTP {status} (credentials refused): {excerpt}")
        self.url = url
        self.status = status


class HttpStatusError(SourceProtocolError):
    """An HTTP error status that retrying cannot fix (404, 400, ...)."""

    def __init__(self, url: str, status: int, excerpt: str) -> None:
        super().__init__(f"GET {url}: HTTP {status}: {excerpt}")
        self.url = url
        self.status = status


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None when absent or unreadable.

    Accepts delta-seconds (``"120"``) and an HTTP-date (``"Wed, 21 Oct 2015 07:28:00 GMT"``);
    a date in the past means "now" (0.0). Garbage gives None so the caller falls back to backoff.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: HTTP-dates are always GMT
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, delta)


class ResponseTooSlow(requests.exceptions.Timeout):
    """The body did not arrive within the time a whole response may take."""


def _read_body(response: requests.Response, deadline: float) -> None:
    """Read the whole body now, but give up at ``deadline`` (``time.monotonic``).

    ``read1`` returns whatever one read of the socket brings, so a trickle is checked against
    the deadline after every piece; the body then serves ``response.content`` as usual."""
    raw = response.raw
    chunks: list[bytes] = []
    done = False
    try:
        while True:
            chunk = raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise ResponseTooSlow(
                    f"the response did not arrive within the time allowed "
                    f"({sum(map(len, chunks))} bytes so far)"
                )
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(str(exc)) from exc
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(str(exc)) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(str(exc)) from exc
    except (urllib3.exceptions.SSLError, OSError) as exc:
        raise requests.exceptions.ConnectionError(str(exc)) from exc
    else:
        done = True
    finally:
        if not done:
            response.close()  # the connection is in an unknown state: never reused
    response._content = b"".join(chunks)  # what ``response.content`` returns from now on
    response._content_consumed = True
    raw.release_conn()


def _excerpt(response: requests.Response) -> str:
    text = response.content[: _EXCERPT * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    return (text[:_EXCERPT] + "...") if len(text) > _EXCERPT else (text or "(empty body)")


class HttpClient:
    """A requests session with timeouts, bounded retries and a retry budget. Not thread-safe."""

    def __init__(
        self,
        timeout: float,
        max_retries: int,
        retry_budget: float,
        user_agent: str = DEFAULT_USER_AGENT,
        max_retry_after: float = 120.0,
        max_response_time: float = 600.0,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        self.timeout = float(timeout)
        self.max_response_time = max(float(max_response_time), self.timeout)
        self.max_retries = max(0, int(max_retries))
        self.retry_budget = max(0.0, float(retry_budget))
        self.max_retry_after = max(0.0, float(max_retry_after))
        self.user_agent = user_agent
        self.spent = 0.0  # seconds charged to the retry budget so far (failed attempts + waits)
        self._random = random.Random()
        self._session = requests.Session()
        self._session.headers["User-Agent"] = user_agent

    @classmethod
    def from_config(cls, config: Config) -> HttpClient:
        """A client with the run's timeout, retry count and retry budget."""
        return cls(
            timeout=config.timeout,
            max_retries=config.max_retries,
            retry_budget=config.retry_budget,
            max_response_time=config.response_time,
        )

    @property
    def budget_left(self) -> float:
        """Seconds of the retry budget not yet spent."""
        return max(0.0, self.retry_budget - self.spent)

    def get(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """GET ``url`` and return the response (2xx, body fully read), retrying what can be.

        Raises ``SourceUnavailable`` when the attempts or the retry budget run out,
        ``HttpAuthError`` on 401/403 and ``HttpStatusError`` on any other error status.
        """
        shown = requests.Request("GET", url, params=params).prepare().url or url
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            retry_after: float | None = None
            # A retry never waits longer than the budget left, but always gets a real chance.
            timeout = (
                self.timeout if attempt == 1 else min(self.timeout, max(self.budget_left, 1.0))
            )
            try:
                response = self._session.get(
                    url, params=params, headers=headers, timeout=timeout, stream=True
                )
                _read_body(response, started + self.max_response_time)
            except requests.exceptions.SSLError as exc:
                raise SourceUnavailable(f"GET {shown}: TLS failure: {exc}") from exc
            except _RETRY_EXCEPTIONS as exc:
                failure = f"{type(exc).__name__}: {exc}"
                cause: Exception | None = exc
            except requests.RequestException as exc:
                raise SourceUnavailable(f"GET {shown}: {type(exc).__name__}: {exc}") from exc
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status in AUTH_STATUSES:
                    raise HttpAuthError(shown, status, _excerpt(response))
                if status not in RETRY_STATUSES:
                    raise HttpStatusError(shown, status, _excerpt(response))
                failure = f"HTTP {status}: {_excerpt(response)}"
                cause = None
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            self.spent += time.monotonic() - started
            self._wait_or_give_up(shown, attempt, failure, retry_after, cause)

    def _wait_or_give_up(
        self,
        shown: str,
        attempt: int,
        failure: str,
        retry_after: float | None,
        cause: Exception | None,
    ) -> None:
        left = self.budget_left
        if attempt > self.max_retries or left <= 0:
            reason = (
                f"retry budget of {self.retry_budget:g} s spent"
                if left <= 0
                else f"no retries left (max_retries={self.max_retries})"
            )
            raise SourceUnavailable(
                f"GET {shown} failed after {attempt} attempt(s), {reason}; last error: {failure}"
            ) from cause
        if retry_after is not None:
            delay, why = retry_after, f"Retry-After {retry_after:.1f} s"
        else:
            backoff = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
            delay, why = backoff * self._random.uniform(0.5, 1.0), "backoff"
        delay = min(delay, self.max_retry_after, left)
        log.warning(
            "GET %s failed (%s); retry %d of %d in %.1f s (%s, %.0f s of retry budget left)",
            shown,
            failure,
            attempt,
            self.max_retries,
            delay,
            why,
            left,
        )
        time.sleep(delay)
        self.spent += delay

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
