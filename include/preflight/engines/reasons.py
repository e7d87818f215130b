"""Database errors reduced to a reason that is safe to store, print and report.

A driver's message may quote the data (``Key (email)=(ann@example.com) already
exists``, ``invalid input syntax for type integer: "AB-1234"``, DuckDB's ``Could not
convert string 'x'``) or the URL it was given; SQLAlchemy's rendering appends the
statement and its parameters. :func:`safe_reason` keeps the exception's class and the
first line of the driver's message, and masks what could be a value: quoted literals,
parenthesised key values, e-mail addresses, long numbers, and every given secret (raw
and URL-encoded). Every place that stores or prints a database error uses it (through
:func:`preflight.engines.db_reason` where the engine is known, which also names the
timeout that fired).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from sqlalchemy.engine import URL

__all__ = ["safe_reason", "scrub_secrets", "secrets_of"]

MAX_REASON = 300
_QUOTED = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|`(?:[^`]|``)*`")
_KEY_VALUE = re.compile(r"=\((?:[^()]|\([^()]*\))*\)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A number written with separators (an id like 987-65-4321, a phone, a card) as one unit,
# then any remaining run of four or more digits.
_SEPARATED_NUMBER = re.compile(r"(?<![\w.])[+]?\d[\d .\-/]{4,}\d(?!\w)")
_DIGITS = re.compile(r"\d{4,}")
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)[^/@\s]*@")


def secrets_of(url: URL | str | None) -> list[str]:
    """The secrets a URL carries (its password), for :func:`safe_reason`."""
    if url is None:
        return []
    if isinstance(url, str):
        try:
            from sqlalchemy.engine import make_url

            url = make_url(url)
        except Exception:
            return []
    return [str(url.password)] if url.password else []


def scrub_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` without any secret, raw or URL-encoded, and without URL credentials."""
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms.update({secret, quote_plus(secret), quote(secret, safe="")})
    for form in sorted(forms, key=len, reverse=True):  # longest first: no half-replaced secret
        text = text.replace(form, "***")
    return _USERINFO.sub(r"\g<scheme>***@", text)


def _message(exc: BaseException | str) -> tuple[str, str]:
    """(class name, first line of the driver's own message)."""
    if isinstance(exc, str):
        lines = exc.strip().splitlines()
        return "", lines[0].strip() if lines else ""
    orig = getattr(exc, "orig", None)
    source: BaseException = orig if isinstance(orig, BaseException) else exc
    args = source.args
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        text = f"{args[1]} ({args[0]})"  # PyMySQL and mysqlclient: (code, message)
    else:
        text = str(source)
    lines = text.strip().splitlines()
    return type(source).__name__, lines[0].strip() if lines else ""


def safe_reason(
    exc: BaseException | str,
    *,
    secrets: Iterable[str | None] = (),
    names: Iterable[str] = (),
    timeout: str | None = None,
) -> str:
    """``ClassName: first line of the message`` with values and secrets masked.

    Quoted text is kept only when it is one of ``names`` (identifiers the audit itself
    used: the table, its columns), so ``relation "orders" does not exist`` stays readable.
    ``timeout`` names the limit that fired (``"statement timeout 10m"``) and makes the
    reason say ``timed out (...)`` first.
    """
    kind, text = _message(exc)
    text = scrub_secrets(text, secrets)
    known = {n for n in names if n}

    def mask(match: re.Match[str]) -> str:
        quoted = match.group(0)
        inner = quoted[1:-1]
        if inner in known or inner.split(".")[-1] in known:
            return quoted
        return quoted[0] + "…" + quoted[-1]

    text = _QUOTED.sub(mask, text)
    text = _KEY_VALUE.sub("=(…)", text)
    text = _EMAIL.sub("<email>", text)
    text = _SEPARATED_NUMBER.sub("#", text)
    text = _DIGITS.sub("#", text)
    reason = f"{kind}: {text}" if kind and text else (kind or text or "unknown error")
    if timeout:
        reason = f"timed out ({timeout}): {reason}"
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"
