"""Database errors reduced to a reason that is safe to store, print and report.

A driver's message may quote the data (``Key (email)=(ann@example.com) already
exists``, ``invalid input syntax for type integer: "AB-1234"``) or the URL it was given.
:func:`safe_reason` keeps the exception's class and the first line of the driver's
message, and masks what could be a value: quoted literals, parenthesised key values,
e-mail addresses, long digit runs, and every given secret (raw and URL-encoded).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["safe_reason"]

MAX_REASON = 300
_QUOTED = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|`(?:[^`]|``)*`")
_KEY_VALUE = re.compile(r"=\((?:[^()]|\([^()]*\))*\)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS = re.compile(r"\d{4,}")
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)[^/@\s]*@")


def safe_reason(exc: BaseException, *, secrets: Iterable[str | None] = (), names: Iterable[str] = ()) -> str:
    """``ClassName: first line of the message`` with values and secrets masked.

    Quoted text is kept only when it is one of ``names`` (identifiers the audit itself
    used: the table, its columns), so ``relation "orders" does not exist`` stays readable.
    """
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    text = lines[0] if lines else ""
    for secret in secrets:
        if secret:
            for form in {secret, quote_plus(secret), quote(secret, safe="")}:
                text = text.replace(form, "***")
    text = _USERINFO.sub(r"\g<scheme>***@", text)
    known = {n for n in names if n}
    text = _QUOTED.sub(lambda m: m.group(0) if m.group(0)[1:-1] in known else m.group(0)[0] + "…" + m.group(0)[-1], text)
    text = _KEY_VALUE.sub("=(…)", text)
    text = _EMAIL.sub("<email>", text)
    text = _DIGITS.sub("#", text)
    reason = f"{type(orig).__name__}: {text}" if text else type(orig).__name__
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"
