"""The API's one JSON shape for errors, and its merchant authentication."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Merchant, hash_api_key
from webapp.storable import all_storable


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error_response(error: ApiError):
    body: dict = {"code": error.code, "message": error.message}
    if error.field:
        body["field"] = error.field
    response = jsonify(error=body)
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="merchant-api"'
    return response


def authenticate_merchant() -> None:
    """Bearer merchant API key; a missing or wrong key is 401 before anything else runs."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "unauthorized", "Send your API key as 'Authorization: Bearer <key>'.")
    merchant = db.session.execute(
        select(Merchant).where(Merchant.api_key_hash == hash_api_key(key.strip()))
    ).scalar_one_or_none()
    if merchant is None:
        raise ApiError(401, "unauthorized", "The API key is not valid.")
    g.merchant = merchant


def json_body() -> dict:
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: not an object we take
        data = None
    if data is None:
        raise ApiError(
            400, "invalid_json", "The body must be a JSON object (Content-Type: application/json)."
        )
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    if not all_storable(data):
        raise ApiError(
            400, "invalid_json", "Text in the body must not hold NUL or unpaired surrogates."
        )
    return data
