"""`flask` commands: database migrations, accounts, and the demo world."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from webapp import migrate
from webapp.models import Role

db_cli = AppGroup("db", help="Database migrations (Alembic).")


def _url() -> str:
    return str(current_app.config["SQLALCHEMY_DATABASE_URI"])


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    migrate.upgrade(_url(), revision)
    click.echo(f"Database is at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION."""
    command.downgrade(migrate.alembic_config(_url()), revision)


@db_cli.command("current")
def db_current() -> None:
    command.current(migrate.alembic_config(_url()), verbose=False)


@db_cli.command("revision")
@click.option(
    "-m", "--message", required=True, help="What the migration does, e.g. 'create referrals'."
)
def db_revision(message: str) -> None:
    """Autogenerate the next numbered migration from the models (review it before committing)."""
    head = migrate.head_revision()
    number = f"{int(head) + 1:04d}"
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    command.revision(
        migrate.alembic_config(_url()), message=message, autogenerate=True, rev_id=number
    )
    generated = next(migrate.MIGRATIONS_DIR.joinpath("versions").glob(f"{number}_*.py"))
    generated.rename(generated.with_name(f"{number}_{slug}.py"))
    (migrate.MIGRATIONS_DIR / "HEAD").write_text(number + "\n")
    click.echo(
        f"Wrote migrations/versions/{number}_{slug}.py and moved migrations/HEAD to {number}."
    )


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--password",
    help="Set a password now instead of emailing an invitation link.",
    prompt=False,
    hide_input=True,
)
def create_user_command(email: str, full_name: str, role: str, password: str | None) -> None:
    """Create an account. Without --password, an invitation link is emailed (and printed)."""
    from webapp.auth import services

    try:
        user = services.create_user(email, full_name, Role(role), password=password)
    except services.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.role.label.lower()} {user.email} (id {user.id}).")
    if password is None:
        with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
            token = services.send_invitation(user, now=datetime.now(UTC))
            from flask import url_for

            click.echo(
                "Invitation link: " + url_for("auth.accept_invitation", token=token, _external=True)
            )


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo world (idempotent) and print its sign-ins."""
    from webapp import demo

    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("The demo world is never created in production.")
    created = demo.seed()
    click.echo(("Created" if created else "Already there:") + " the demo world.\n")
    click.echo(demo.describe())


@click.command("totp-code")
@with_appcontext
@click.argument("email")
def totp_code_command(email: str) -> None:
    """Print the current two-factor code of a demo staff account (development only)."""
    from webapp import demo

    if current_app.config.get("ENV_NAME") != "development":
        raise click.ClickException("Only in development, for the demo accounts.")
    click.echo(demo.current_totp_code(email))


@click.command("apply-retention")
@with_appcontext
def apply_retention_command() -> None:
    """Apply the retention schedule now (it also runs nightly) and print what was removed."""
    from webapp.retention import services

    run = services.apply_schedule(now=datetime.now(UTC), trigger="command")
    for item in run.items:
        click.echo(f"{item.kind}: {item.count} {item.action} (older than {item.cutoff:%Y-%m-%d})")


backup_cli = AppGroup("backup", help="Back up or restore the embedded SQLite database.")


@backup_cli.command("create")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def backup_create(destination: Path) -> None:
    """Write a consistent copy of the live database to DESTINATION."""
    from webapp import backup

    try:
        size = backup.backup(_url(), destination)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up to {destination} ({size:,} bytes).")


@backup_cli.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def backup_restore(source: Path, yes: bool) -> None:
    """Replace the database with the backup in SOURCE (stop the site first)."""
    from webapp import backup

    if not yes:
        click.confirm(f"Replace everything in the database with {source}?", abort=True)
    try:
        backup.restore(source, _url())
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {source}.")


@click.command("rotate-keys")
@with_appcontext
def rotate_keys_command() -> None:
    """Re-encrypt every encrypted value under the newest key (README: key rotation)."""
    from webapp.rotation import rotate_all

    for name, count in rotate_all().items():
        click.echo(f"{name}: {count} re-encrypted")
    click.echo("Done: every encrypted value is under the newest key. The old keys can be removed.")


report_cli = AppGroup("report", help="Commissioner reports for scheduled runs (aggregates only).")
REPORT_FORMATS = click.Choice(["json", "csv", "xlsx"])


def _write_report(kind: str, text: str, fmt: str, output: Path | None) -> None:
    import json

    from webapp.reports import aggregates, report
    from webapp.reports.definitions import Period

    try:
        period = Period.parse(kind, text)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    built = aggregates.build(period, datetime.now(UTC).replace(microsecond=0))
    if fmt == "xlsx":
        if output is None:
            raise click.UsageError("--output FILE is needed for xlsx")
        output.write_bytes(report.to_xlsx(built))
        return
    body = (
        json.dumps(built.to_json(), indent=2, ensure_ascii=False) + "\n"
        if fmt == "json"
        else report.to_csv(built)
    )
    if output is None:
        click.echo(body, nl=False)
    else:
        output.write_text(body, encoding="utf-8")


@report_cli.command("monthly")
@click.option("--month", required=True, help="The month, YYYY-MM (UTC).")
@click.option("--format", "fmt", type=REPORT_FORMATS, default="json", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
def report_monthly(month: str, fmt: str, output: Path | None) -> None:
    """The monthly report; JSON shape: webapp/reports/README.md."""
    _write_report("monthly", month, fmt, output)


@report_cli.command("quarterly")
@click.option("--quarter", required=True, help="The quarter, YYYY-Qn (UTC).")
@click.option("--format", "fmt", type=REPORT_FORMATS, default="json", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
def report_quarterly(quarter: str, fmt: str, output: Path | None) -> None:
    """The quarterly outcomes report; JSON shape: webapp/reports/README.md."""
    _write_report("quarterly", quarter, fmt, output)


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(report_cli)
    for command_ in (
        create_user_command,
        seed_demo_command,
        totp_code_command,
        apply_retention_command,
        rotate_keys_command,
    ):
        app.cli.add_command(command_)
