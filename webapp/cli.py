"""``flask --app webapp ...`` commands: staff accounts, merchants and demo data."""

from __future__ import annotations

import json
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from markupsafe import escape
from sqlalchemy import func, select

from webapp.auth.passwords import WeakPassword, generate_password, hash_password
from webapp.extensions import db
from webapp.models import ROLES, Merchant, StaffUser
from webapp.models.types import utcnow
from webapp.payments.checkout_links import build_link
from webapp.payments.payout_links import build_payout_link
from webapp.payments.reconcile import reconcile
from webapp.urls import public_url

DEMO_MERCHANT = "Demo Mağaza"


@click.command("create-staff")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
@click.option("--generate", is_flag=True, help="Generate a password and print it once.")
def create_staff(email: str, role: str, generate: bool) -> None:
    """Create a staff account; the password is prompted for, or generated with --generate."""
    email = email.strip().lower()
    if db.session.execute(select(StaffUser).where(func.lower(StaffUser.email) == email)).first():
        raise click.ClickException(f"a staff account for {email} already exists")
    password = (
        generate_password()
        if generate
        else click.prompt("Password (12+ characters)", hide_input=True, confirmation_prompt=True)
    )
    try:
        user = StaffUser(email=email, role=role, password_hash=hash_password(password))
    except WeakPassword as error:
        raise click.ClickException(str(error)) from None
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {email}.")
    if generate:
        click.echo(f"Password (shown once): {password}")


@click.group("merchant", cls=AppGroup)
def merchant_group() -> None:
    """Manage merchants."""


@merchant_group.command("create")
@click.argument("name")
@click.option("--origin", "origins", multiple=True, help="An allowed return origin (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def create_merchant(name: str, origins: tuple[str, ...], as_json: bool) -> None:
    """Create a merchant and print its id, API key and link secret (the key is shown once)."""
    merchant, api_key = Merchant.create(name, list(origins))
    db.session.add(merchant)
    db.session.commit()
    result = {"id": merchant.public_id, "api_key": api_key, "link_secret": merchant.link_secret}
    if as_json:
        click.echo(json.dumps(result))
    else:
        for key, value in result.items():
            click.echo(f"{key}: {value}")


@click.command("seed-demo")
@with_appcontext
@click.option("--email", default="demo@example.com", show_default=True)
def seed_demo(email: str) -> None:
    """Create (or refresh) the demo merchant and demo admin, and print their credentials.

    Only hashes are stored, so a rerun issues a new API key and password and prints them again:
    this is demo data, and ``make run`` must always show a newcomer how to get in.
    """
    merchant = db.session.execute(
        select(Merchant).where(Merchant.name == DEMO_MERCHANT)
    ).scalar_one_or_none()
    # The demo shop is this site itself, so its return URLs may point here.
    fresh, api_key = Merchant.create(DEMO_MERCHANT, [current_app.config["PUBLIC_BASE_URL"]])
    if merchant is None:
        merchant = fresh
        db.session.add(merchant)
    else:
        merchant.api_key_hash = fresh.api_key_hash
    user = db.session.execute(
        select(StaffUser).where(StaffUser.email == email)
    ).scalar_one_or_none()
    password = generate_password()
    if user is None:
        user = StaffUser(email=email, role="admin")
        db.session.add(user)
    user.password_hash = hash_password(password)
    db.session.commit()
    click.echo(f"Demo merchant: {DEMO_MERCHANT}")
    click.echo(f"  id:          {merchant.public_id}")
    click.echo(f"  API key:     {api_key}")
    click.echo(f"  link secret: {merchant.link_secret}")
    click.echo(f"Demo staff:    {email} / {password}")


@click.command("reconcile")
@click.option(
    "--older-than-minutes",
    default=30,
    show_default=True,
    type=click.IntRange(min=0),
    help="Ask providers about attempts pending longer than this.",
)
@with_appcontext
def reconcile_command(older_than_minutes: int) -> None:
    """Settle pending payments with the providers and expire checkouts past their time."""
    report = reconcile(timedelta(minutes=older_than_minutes))
    click.echo(
        f"asked {report.asked}, settled {report.settled}, expired {report.expired}, "
        f"queued {report.queued} for staff, pruned {report.pruned_keys} idempotency keys"
    )


@click.command("checkout-link")
@click.option("--merchant", "merchant_id", required=True, help="The merchant's public id.")
@click.option("--order-id", required=True)
@click.option("--amount", required=True, help="Decimal, e.g. 1500.00")
@click.option("--currency", default="TRY", show_default=True)
@click.option("--description", default="")
@click.option("--expires-in", default=86400, show_default=True, type=click.IntRange(300, 604800))
@click.option("--success-url", default="")
@click.option("--cancel-url", default="")
@click.option("--methods", default="", help="Comma-separated, e.g. card_hosted,card_3ds")
@with_appcontext
def checkout_link(merchant_id: str, expires_in: int, **fields: str) -> None:
    """Print a signed checkout link and an HTML button for a merchant's site."""
    merchant = db.session.execute(
        select(Merchant).where(Merchant.public_id == merchant_id)
    ).scalar_one_or_none()
    if merchant is None:
        raise click.ClickException(f"no merchant {merchant_id}")
    expires = str(int((utcnow() + timedelta(seconds=expires_in)).timestamp()))
    url = build_link(merchant, public_url("checkout.open_link"), {**fields, "expires": expires})
    click.echo(url)
    click.echo(f'<a href="{escape(url)}" class="pay-button">Öde / Pay</a>')


@click.command("payout-link")
@click.option("--merchant", "merchant_id", required=True, help="The merchant's public id.")
@click.option("--link-id", required=True, help="Yours; one payout per link id.")
@click.option("--customer-id", required=True, help="Your customer's id.")
@click.option("--max-amount", required=True, help="Decimal TRY, e.g. 2500.00")
@click.option("--expires-in", default=86400, show_default=True, type=click.IntRange(300, 604800))
@with_appcontext
def payout_link(merchant_id: str, link_id: str, customer_id: str, max_amount: str, expires_in: int):
    """Print a signed payout link: the customer enters an IBAN and an amount up to the maximum."""
    merchant = db.session.execute(
        select(Merchant).where(Merchant.public_id == merchant_id)
    ).scalar_one_or_none()
    if merchant is None:
        raise click.ClickException(f"no merchant {merchant_id}")
    expires = str(int((utcnow() + timedelta(seconds=expires_in)).timestamp()))
    fields = {
        "link_id": link_id,
        "customer_id": customer_id,
        "max_amount": max_amount,
        "expires": expires,
    }
    try:
        click.echo(build_payout_link(merchant, public_url("payout.open_link"), fields))
    except ValueError as error:
        raise click.ClickException(str(error)) from None


def init_app(app: Flask) -> None:
    app.cli.add_command(create_staff)
    app.cli.add_command(merchant_group)
    app.cli.add_command(seed_demo)
    app.cli.add_command(reconcile_command)
    app.cli.add_command(checkout_link)
    app.cli.add_command(payout_link)
