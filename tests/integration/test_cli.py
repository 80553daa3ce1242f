"""The flask commands staff and developers run."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from webapp.auth.passwords import verify_password
from webapp.extensions import db
from webapp.models import Merchant, StaffUser, hash_api_key


def test_create_staff_with_generated_password(app, runner):
    result = runner.invoke(
        args=["create-staff", "Ops@Example.com", "--role", "admin", "--generate"]
    )
    assert result.exit_code == 0, result.output
    password = re.search(r"Password \(shown once\): (\S+)", result.output).group(1)
    with app.app_context():
        user = db.session.execute(select(StaffUser)).scalar_one()
        assert (user.email, user.role) == ("ops@example.com", "admin")
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, password)


def test_create_staff_prompts_for_a_long_enough_password(app, runner):
    short = runner.invoke(args=["create-staff", "a@example.com"], input="short\nshort\n")
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output
    ok = runner.invoke(
        args=["create-staff", "a@example.com"], input="long-enough-pass\nlong-enough-pass\n"
    )
    assert ok.exit_code == 0, ok.output
    assert "long-enough-pass" not in ok.output


def test_create_staff_refuses_a_duplicate(runner):
    runner.invoke(args=["create-staff", "a@example.com", "--generate"])
    again = runner.invoke(args=["create-staff", "A@example.com", "--generate"])
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_merchant_create_prints_json(app, runner):
    result = runner.invoke(
        args=["merchant", "create", "Kitapçı", "--origin", "https://kitap.example", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"id", "api_key", "link_secret"}
    with app.app_context():
        merchant = db.session.execute(select(Merchant)).scalar_one()
        assert merchant.public_id == data["id"]
        assert merchant.api_key_hash == hash_api_key(data["api_key"])
        assert data["api_key"] not in merchant.api_key_hash
        assert merchant.allowed_return_origins == ["https://kitap.example"]


def test_seed_demo_prints_working_credentials_every_time(app, runner):
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == second.exit_code == 0
    key = re.search(r"API key:\s+(\S+)", second.output).group(1)
    password = re.search(r"demo@example.com / (\S+)", second.output).group(1)
    with app.app_context():
        merchant = db.session.execute(select(Merchant)).scalar_one()
        assert merchant.api_key_matches(key)
        user = db.session.execute(select(StaffUser)).scalar_one()
        assert verify_password(user.password_hash, password)
