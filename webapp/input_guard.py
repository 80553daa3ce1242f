"""Text our databases cannot store is refused before it reaches a view.

PostgreSQL text cannot hold a NUL character, and no UTF-8 column takes an unpaired UTF-16
surrogate (JSON can spell one as ``"\\ud800"``): a query or a row carrying either fails deep in a
view as a 500, after some work is done. Neither occurs in real input, so a request with one in its
path (404: no such page), query string or form (400) is refused here, in the caller's format. JSON
bodies are checked where they are parsed (``webapp.api.responses.json_body``; the provider
parsers keep an authentic body whatever it holds, as unreadable).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, abort, request

from webapp.storable import storable

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_unstorable() -> None:
    if not storable(request.path):
        abort(404)
    fields = list(request.args.items(multi=True))
    if request.mimetype in _FORM_TYPES:
        fields += request.form.items(multi=True)
    if not _texts_storable(fields):
        abort(400)


def _texts_storable(pairs: Iterable[tuple[str, str]]) -> bool:
    return all(storable(key) and storable(value) for key, value in pairs)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_unstorable)
