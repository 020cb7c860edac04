"""JSON from outside read exactly or refused (standard library only; anything may import it).

The standard library keeps the last of a key given twice in one object and drops the others
without a word; a draws file, a saved result or a GeoJSON file with a key twice is refused
here instead, naming the key.

>>> loads('{"ES-NAV": 1.1, "ES-ZAZ": 0.9}')
{'ES-NAV': 1.1, 'ES-ZAZ': 0.9}
>>> try:
...     loads('{"ES-NAV": 1.1, "ES-NAV": 0.9}')
... except DuplicateKeyError as error:
...     print(error)
key 'ES-NAV' is given twice in one object; keep one of them
"""

from __future__ import annotations

import json


class DuplicateKeyError(ValueError):
    """A key given twice in one JSON object."""


def _unique(pairs: list[tuple[str, object]]) -> dict:
    document = {}
    for key, value in pairs:
        if key in document:
            shown = repr(key) if len(key) <= 60 else repr(key[:60]) + "..."
            raise DuplicateKeyError(f"key {shown} is given twice in one object; keep one of "
                                    f"them")
        document[key] = value
    return document


def loads(text: str, **keywords):
    """``json.loads(text, **keywords)``, raising :class:`DuplicateKeyError` for a key given
    twice in one object."""
    return json.loads(text, object_pairs_hook=_unique, **keywords)
