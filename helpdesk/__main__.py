"""`python -m helpdesk`: run the help-desk service, or work on the notification outbox.

    python -m helpdesk [serve] [--host H] [--port P]      the service (:8000; HELPDESK_HOST / HELPDESK_PORT)
    python -m helpdesk outbox list [--status S] [--target T] [--json]
    python -m helpdesk outbox flush [--target T]           deliver what is due now for Rasa and the external
                                                           help desk (what the service does)
    python -m helpdesk outbox retry ID | cancel ID         make a queued delivery due now / give up on it
    python -m helpdesk new-token                           print a random token for HELPDESK_TOKENS

Bad input or configuration gives a one-line message on stderr: exit 1 for a failed request, 2 for
unusable arguments or configuration.
"""
from __future__ import annotations

import argparse
import json
import logging
import secrets
import sys
from typing import Optional, Sequence

from sqlalchemy.exc import SQLAlchemyError

from helpdesk.auth import TokenConfigError
from helpdesk.config import ConfigError, HelpdeskConfig
from portal import db, outbox
from portal.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError  # the same exit codes as portal-admin
from portal.district import DistrictConfigError
from portal.models import OUTBOX_STATUSES, OUTBOX_TARGETS

# The targets this process delivers (SMS rows are the SMS channel's, in the Rasa server).
HELPDESK_TARGETS = (outbox.RASA, outbox.EXTERNAL)

def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return args.handler(args)
    except CommandError as error:
        print(f"helpdesk: {error}", file=sys.stderr)
        return error.code
    except (ConfigError, TokenConfigError, DistrictConfigError) as error:
        print(f"helpdesk: configuration: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"helpdesk: database error: {reason}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpdesk", description="The parent-portal help-desk service.")
    parser.add_argument("--database-url", default=None, help="database URL (default: $DATABASE_URL or var/portal.db)")
    parser.set_defaults(handler=_serve, host=None, port=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the service (the default)")
    serve.add_argument("--host", default=None, help="listen address (default: $HELPDESK_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default: $HELPDESK_PORT or 8000)")
    serve.set_defaults(handler=_serve)

    box = commands.add_parser("outbox", help="list, flush, retry or cancel queued deliveries")
    actions = box.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list deliveries (pending first by default)")
    listing.add_argument("--status", choices=OUTBOX_STATUSES)
    listing.add_argument("--target", choices=OUTBOX_TARGETS)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_outbox_list)
    flush = actions.add_parser("flush", help="deliver everything due now (Rasa, external help desk)")
    flush.add_argument("--target", choices=HELPDESK_TARGETS)
    flush.set_defaults(handler=_outbox_flush)
    for name, handler, text in (("retry", _outbox_retry, "make a pending delivery due now"),
                                ("cancel", _outbox_cancel, "give up on a pending delivery (kept, marked cancelled)")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("id", type=int)
        sub.set_defaults(handler=handler)

    token = commands.add_parser("new-token", help="print a new random token for HELPDESK_TOKENS")
    token.set_defaults(handler=_new_token)
    return parser


def _config(args: argparse.Namespace, require_tokens: bool) -> HelpdeskConfig:
    config = HelpdeskConfig.from_env(require_tokens=require_tokens)
    if args.database_url:
        config = config.with_(database_url=args.database_url)
    return config


def _serve(args: argparse.Namespace) -> int:
    from helpdesk.app import create_app

    config = _config(args, require_tokens=True)
    config = config.with_(host=args.host or config.host, port=args.port or config.port)
    _configure_logging()  # only once the configuration is known to be usable: this process will serve
    db.migrate(config.database_url)
    app = create_app(config, name="helpdesk")
    external = config.external.kind if config.external else "none"
    logging.getLogger("helpdesk").info(
        "help desk on http://%s:%d/staff/ (%d tokens, external help desk: %s)",
        config.host, config.port, len(config.tokens), external,
    )
    app.run(host=config.host, port=config.port, access_log=config.access_log, workers=1)
    return EXIT_OK


def _configure_logging() -> None:
    """Our loggers at INFO on stderr (Sanic configures its own; the root stays quiet below WARNING)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s] [%(levelname)s] %(name)s: %(message)s"))
    for name in ("helpdesk", "portal"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False


def _outbox_list(args: argparse.Namespace) -> int:
    config = _config(args, require_tokens=False)
    db.migrate(config.database_url)
    with db.session_scope(config.database_url) as session:
        rows = outbox.list_messages(session, status=args.status, target=args.target)
    if args.status is None:
        rows.sort(key=lambda r: (r.status != "pending", r.id))
    if args.json:
        print(json.dumps([r.to_dict(with_payload=False) for r in rows], indent=2))
    elif not rows:
        print("The outbox is empty.")
    else:
        print(f"{'ID':>5}  {'TARGET':8}  {'EVENT':26}  {'TICKET':>6}  {'STATUS':9}  {'TRIES':>5}  NEXT / DELIVERED (UTC)  LAST ERROR")
        for r in rows:
            moment = r.delivered_at if r.status == "delivered" else r.next_attempt_at
            print(f"{r.id:>5}  {r.target:8}  {r.event:26}  {r.ticket_id or '-':>6}  {r.status:9}  {r.attempts:>5}  "
                  f"{moment.strftime('%Y-%m-%d %H:%M:%S'):23}  {(r.last_error or '')[:80]}")
    return EXIT_OK


def _outbox_flush(args: argparse.Namespace) -> int:
    from helpdesk.delivery import make_worker

    config = _config(args, require_tokens=False)
    db.migrate(config.database_url)
    worker = make_worker(config, worker_id=f"cli:{secrets.token_hex(4)}")
    if args.target is not None and args.target not in worker.targets:
        raise CommandError("no external help desk configured (HELPDESK_EXTERNAL_KIND)", EXIT_USAGE)
    report = worker.flush(targets=(args.target,) if args.target else None)
    print(f"Outbox: {report.summary()}.")
    return EXIT_OK if report.retried == 0 and report.failed == 0 else EXIT_FAILED


def _outbox_retry(args: argparse.Namespace) -> int:
    config = _config(args, require_tokens=False)
    with db.session_scope(config.database_url) as session:
        row = outbox.retry_now(session, args.id)
    if row is None:
        raise CommandError(f"no pending delivery with id {args.id}")
    print(f"Delivery {row.id} is due now; run `python -m helpdesk outbox flush` or wait for the service.")
    return EXIT_OK


def _outbox_cancel(args: argparse.Namespace) -> int:
    config = _config(args, require_tokens=False)
    with db.session_scope(config.database_url) as session:
        row = outbox.cancel(session, args.id)
    if row is None:
        raise CommandError(f"no pending delivery with id {args.id}")
    print(f"Delivery {row.id} cancelled.")
    return EXIT_OK


def _new_token(args: argparse.Namespace) -> int:
    print(secrets.token_urlsafe(32))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
