"""Database errors reduced to a reason safe to store, report and print.

Drivers quote data in their messages: PostgreSQL's ``invalid input syntax for type
integer: "123-45-6789"``, MySQL's ``Duplicate entry 'ann@example.com'``, DuckDB's
``Could not convert string 'x'``. SQLAlchemy appends the statement and its parameters.
A URL in a message may carry a password. :func:`safe_reason` keeps what helps a person
act (the error's class, the driver's first line, identifiers the caller says are
safe) and removes the rest, so every place that stores or prints a database error
uses it: the audit's reasons, sampling, GX, discovery, the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from sqlalchemy.engine import URL

__all__ = ["safe_reason", "scrub_secrets", "secrets_of"]

_MAX = 300
_QUOTED = re.compile(r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`""")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"(?<![\w.])[+-]?\d[\d .\-/]{4,}\d(?![\w])")
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://[^:/@\s]*):[^@\s]*@")
_PARENS_VALUE = re.compile(r"=\([^)]*\)")  # PostgreSQL's Key (col)=(value)


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
    """``text`` without any secret, raw or URL-encoded, and without URL passwords."""
    variants: set[str] = set()
    for secret in secrets:
        if secret:
            variants.update({secret, quote(secret, safe=""), quote_plus(secret)})
    for variant in sorted(variants, key=len, reverse=True):
        text = text.replace(variant, "***")
    return _USERINFO.sub(r"\g<scheme>:***@", text)


def safe_reason(
    exc: BaseException | str,
    *,
    secrets: Iterable[str | None] = (),
    keep: Iterable[str] = (),
    timeout: str | None = None,
) -> str:
    """``exc`` as one line with no data values and no secrets.

    The driver's own message is used (SQLAlchemy's rendering appends the statement and
    its parameters), first line only. Quoted literals are masked unless their content
    is in ``keep`` (table and column names the caller knows), as are e-mail addresses and
    long numbers written without quotes; secrets are removed raw and URL-encoded.
    ``timeout`` names the limit that fired (e.g. ``"statement timeout 10m"``) and turns
    the reason into a clear "timed out" one.
    """
    if isinstance(exc, BaseException):
        orig = getattr(exc, "orig", None)
        source: BaseException = orig if isinstance(orig, BaseException) else exc
        args = source.args
        if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
            text = f"{args[1]} ({args[0]})"  # PyMySQL/mysqlclient: (code, message)
        else:
            text = str(source)
        lines = text.strip().splitlines()
        first = lines[0].strip() if lines else ""
        kind = type(source).__name__
    else:
        first, kind = (exc.strip().splitlines() or [""])[0], ""
    secrets = list(secrets)
    first = scrub_secrets(first, secrets)
    kept = {k for k in keep if k}

    def mask(match: re.Match[str]) -> str:
        text = match.group(0)
        inner = text[1:-1]
        if inner in kept or inner.split(".")[-1] in kept:
            return text
        return f"{text[0]}…{text[-1]}"

    first = _QUOTED.sub(mask, first)
    first = _PARENS_VALUE.sub("=(…)", first)
    first = _EMAIL.sub("…", first)
    first = _LONG_NUMBER.sub("…", first)
    text = f"{kind}: {first}" if kind and first else (kind or first or "unknown error")
    if timeout:
        text = f"timed out ({timeout}): {text}"
    return text if len(text) <= _MAX else text[: _MAX - 1] + "…"
