"""`portal-admin`: migrate the store, import rosters, seed the demo roster, list and resolve tickets, delete a
family's personal data (`forget-family`) and purge old conversation data (`purge`; see docs/privacy.md).

`tickets resolve` notifies the parent exactly like the help desk's resolve: the message goes to the
notification outbox in the resolving transaction, and the help-desk service delivers it through Rasa.

Every command migrates the database first (a no-op when it is current). Bad input gives a one-line
message on stderr and a non-zero exit code: 1 for a failed request, 2 for unusable arguments or paths.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Callable, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from portal import db, privacy
from portal.models import LANGUAGE_NAMES, LANGUAGES, TICKET_KINDS, TICKET_STATUSES, Person, utcnow
from portal.roster import RosterError, import_roster
from portal.tickets import TicketError, TicketNotFound, TicketView, get_ticket, list_tickets, resolve_ticket

DEMO_ROSTER = Path(__file__).resolve().parent / "demo" / "roster"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
ACTOR = "cli"


class CommandError(Exception):
    """A request that cannot be done; printed as one line."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of `portal-admin`; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed its usage message
        return int(exit_.code or 0)
    try:
        db.migrate(args.database_url)
        return args.handler(args)
    except CommandError as error:
        print(f"portal-admin: {error}", file=sys.stderr)
        return error.code
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"portal-admin: database error: {reason}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("portal-admin: interrupted", file=sys.stderr)
        return 130
    except OSError as error:  # a file or folder that cannot be read, a full disk
        where = f" ({error.filename})" if error.filename else ""
        print(f"portal-admin: {error.strerror or type(error).__name__}{where}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - a bug: one line, never a traceback for the operator
        print(f"portal-admin: unexpected error ({type(error).__name__}); please report it with the command you ran",
              file=sys.stderr)
        return EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal-admin", description="Administer the parent-portal assistant's store.")
    parser.add_argument("--database-url", default=None, help="database URL (default: $DATABASE_URL or var/portal.db)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    _add(commands, "migrate", "create or upgrade the database schema", _migrate)
    roster = _add(commands, "import-roster", "import a OneRoster 1.1 CSV folder", _import_roster)
    roster.add_argument("directory", help="folder with orgs.csv, users.csv, demographics.csv, portal_accounts.csv")
    roster.add_argument("--no-progress", action="store_true", help="no progress bars")
    seed = _add(commands, "seed-demo", "import the demo roster (fictional families)", _seed_demo)
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the store already holds people")

    tickets = commands.add_parser("tickets", help="list, show and resolve tickets")
    actions = tickets.add_subparsers(dest="ticket_command", metavar="ACTION", required=True)
    listing = _add(actions, "list", "list tickets, newest first", _tickets_list)
    listing.add_argument("--status", choices=TICKET_STATUSES)
    listing.add_argument("--school", metavar="ID", help="school id, e.g. org-maple-ridge-es")
    listing.add_argument("--kind", choices=TICKET_KINDS)
    listing.add_argument("--language", choices=LANGUAGES, help="only tickets of conversations in this language")
    listing.add_argument("--json", action="store_true", help="print JSON")
    show = _add(actions, "show", "show one ticket with its audit trail", _tickets_show)
    show.add_argument("id", type=_ticket_id)
    show.add_argument("--json", action="store_true", help="print JSON")
    resolve = _add(actions, "resolve", "mark a ticket resolved and tell the parent (like the help desk does)",
                   _tickets_resolve)
    resolve.add_argument("id", type=_ticket_id)
    resolve.add_argument("--note", required=True,
                         help="what was done (kept in the audit trail; also sent to the parent unless --message)")
    resolve.add_argument("--message", default=None,
                         help="the message for the parent's conversation (default: the note)")

    forget = _add(commands, "forget-family",
                  "delete one family's personal data (docs/privacy.md); a dry run unless --yes", _forget_family)
    forget.add_argument("--guardian", action="append", default=[], metavar="ID", help="guardian record id (repeatable)")
    forget.add_argument("--contact", action="append", default=[], metavar="EMAIL|PHONE",
                        help="email or mobile number on file: every guardian record with it (repeatable)")
    purge = _add(commands, "purge", "delete conversation data older than DAYS (docs/privacy.md); a dry run unless --yes",
                 _purge)
    purge.add_argument("--older-than", type=_days, required=True, metavar="DAYS")
    for command in (forget, purge):
        command.add_argument("--tracker-url", default=None,
                             help="Rasa's SQL tracker store (default: $TRACKER_STORE_URL or var/rasa_tracker.db)")
        command.add_argument("--yes", action="store_true", help="really delete (default: only report)")
        command.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"days must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("days must be at least 1")
    return value


def _print_report(report: privacy.Report, as_json: bool) -> int:
    print(json.dumps(privacy.describe(report), indent=2) if as_json else report.summary())
    return EXIT_OK


def _forget_family(args: argparse.Namespace) -> int:
    """Find the family (one unit of work), delete it from the tracker store, then from the portal store (another)."""
    url, apply = args.database_url, args.yes
    engine = privacy.tracker_engine(args.tracker_url)
    try:
        with db.session_scope(url) as session:
            family = privacy.find_family(session, args.guardian, args.contact)
    except privacy.PrivacyError as error:
        raise CommandError(str(error), EXIT_USAGE if "name the family" in str(error) else EXIT_FAILED) from None
    conversation_ids = privacy.family_conversations(family, engine)
    report = privacy.forget_in_tracker(engine, conversation_ids, apply)
    with db.session_scope(url) as session:
        report = report.and_then(privacy.forget_in_store(session, family, conversation_ids, apply))
    return _print_report(report, args.json)


def _purge(args: argparse.Namespace) -> int:
    """Purge the tracker store, then the portal store in one unit of work."""
    now = utcnow()
    try:
        cutoff = privacy.purge_cutoff(timedelta(days=args.older_than), now)
    except privacy.PrivacyError as error:
        raise CommandError(str(error), EXIT_USAGE) from None
    report = privacy.purge_tracker(privacy.tracker_engine(args.tracker_url), cutoff, args.yes)
    with db.session_scope(args.database_url) as session:
        report = report.and_then(privacy.purge_store(session, cutoff, now, args.yes))
    return _print_report(report, args.json)


def _add(commands, name: str, help_text: str, handler: Callable[[argparse.Namespace], int]):
    sub = commands.add_parser(name, help=help_text, description=help_text)
    sub.set_defaults(handler=handler)
    return sub


def _ticket_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ticket id must be a number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"ticket id must be positive, not {value}")
    return value


def _migrate(args: argparse.Namespace) -> int:
    print(f"Database is at revision {db.current_revision(args.database_url)}.")
    return EXIT_OK


def _import_roster(args: argparse.Namespace) -> int:
    return _run_import(args.database_url, Path(args.directory), progress=not args.no_progress)


def _seed_demo(args: argparse.Namespace) -> int:
    if args.if_empty:
        with db.session_scope(args.database_url) as session:
            people = session.execute(select(func.count()).select_from(Person)).scalar()
        if people:
            print(f"The store already holds {people} people; demo roster not imported.")
            return EXIT_OK
    return _run_import(args.database_url, DEMO_ROSTER, progress=False)


def _run_import(url: Optional[str], directory: Path, progress: bool) -> int:
    try:
        report = import_roster(lambda: db.session_scope(url), directory, progress=progress)
    except RosterError as error:
        raise CommandError(str(error), EXIT_USAGE) from None
    print(report.summary())
    return EXIT_OK if report.ok else EXIT_FAILED


def _tickets_list(args: argparse.Namespace) -> int:
    with db.session_scope(args.database_url) as session:
        tickets = list_tickets(session, status=args.status, school_id=args.school, kind=args.kind,
                               language=args.language)
    if args.json:
        print(json.dumps([_summary_dict(t) for t in tickets], indent=2))
    elif not tickets:
        print("No tickets.")
    else:
        print(_table(tickets))
    return EXIT_OK


def _tickets_show(args: argparse.Namespace) -> int:
    with db.session_scope(args.database_url) as session:
        ticket = get_ticket(session, args.id)
    if ticket is None:
        raise CommandError(f"no ticket with id {args.id}")
    print(json.dumps(ticket.to_dict(), indent=2) if args.json else _describe(ticket))
    return EXIT_OK


def _tickets_resolve(args: argparse.Namespace) -> int:
    if not args.note.strip():
        raise CommandError("--note must say what was done", EXIT_USAGE)
    if args.message is not None and not args.message.strip():
        raise CommandError("--message must not be empty", EXIT_USAGE)
    message = (args.message or args.note).strip()
    try:
        # The parent's notification (EXTERNAL_ticket_resolved) is queued in the outbox in the same
        # transaction; the help-desk service (or `python -m helpdesk outbox flush`) delivers it.
        with db.session_scope(args.database_url) as session:
            ticket = resolve_ticket(session, args.id, note=args.note.strip(), actor=ACTOR, message_to_parent=message)
    except (TicketNotFound, TicketError) as error:
        raise CommandError(str(error).strip("'\"")) from None
    print(f"Ticket {ticket.id} resolved.")
    return EXIT_OK


def _summary_dict(ticket: TicketView) -> dict:
    data = ticket.to_dict()
    data.pop("transcript")
    data.pop("events")
    data.pop("messages")
    return data


def _table(tickets: list[TicketView]) -> str:
    rows = [("ID", "STATUS", "KIND", "SCHOOL", "VERIFIED", "LANG", "CREATED (UTC)", "SUMMARY")]
    rows += [
        (str(t.id), t.status, t.kind, t.school_id or "-", "yes" if t.verified else "no", t.language.upper(),
         t.created_at.strftime("%Y-%m-%d %H:%M"), _shorten(t.summary, 60))
        for t in tickets
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(r, widths)), r[-1]]).rstrip() for r in rows)


def _describe(ticket: TicketView) -> str:
    lines = [
        f"Ticket {ticket.id}: {ticket.kind} ({ticket.status})",
        f"  school:       {ticket.school_id or '-'}",
        f"  conversation: {ticket.conversation_id} via {ticket.channel}",
        f"  language:     {LANGUAGE_NAMES.get(ticket.language, ticket.language)} ({ticket.language})",
        f"  verified:     {'yes' if ticket.verified else 'no'}",
        f"  guardian:     {ticket.guardian_id or '-'}",
        f"  created:      {ticket.created_at.isoformat(timespec='seconds')}",
        f"  updated:      {ticket.updated_at.isoformat(timespec='seconds')}",
    ]
    if ticket.external_id:
        lines.append(f"  external id:  {ticket.external_id}")
    lines += ["", "Summary:", _indent(ticket.summary or "-")]
    if ticket.details:
        lines += ["", "Details:", _indent(json.dumps(ticket.details, indent=2, sort_keys=True))]
    if ticket.assignee:
        lines.insert(5, f"  assignee:     {ticket.assignee}")
    lines += ["", "Transcript:", _indent(ticket.transcript or "-")]
    if ticket.messages:
        lines += ["", "Messages:"]
        for message in ticket.messages:
            author = message.author + (f" ({message.author_name})" if message.author_name else "")
            lines.append(f"  {message.at.isoformat(timespec='seconds')}  {author}: {message.text}")
    lines += ["", "Audit trail:"]
    for event in ticket.events:
        change = f"{event.from_status or '(new)'} -> {event.to_status}"
        note = f": {event.note}" if event.note else ""
        lines.append(f"  {event.at.isoformat(timespec='seconds')}  {event.actor:<12} {change}{note}")
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines() or [""])


def _shorten(text: str, width: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
