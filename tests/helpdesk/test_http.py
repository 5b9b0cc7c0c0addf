"""urllib3's request logs are redacted once the help desk starts, never by an import."""
from __future__ import annotations

import importlib
import logging

import helpdesk.http as http


def redaction_filters() -> list:
    return [f for f in logging.getLogger("urllib3.connectionpool").filters if isinstance(f, http._RedactUrls)]


def test_importing_installs_nothing_and_start_up_installs_it_once():
    log = logging.getLogger("urllib3.connectionpool")
    for f in redaction_filters():
        log.removeFilter(f)
    importlib.reload(http)
    assert redaction_filters() == []
    http.install_log_redaction()
    http.install_log_redaction()
    assert len(redaction_filters()) == 1


def test_tokens_and_conversation_ids_are_hidden():
    http.install_log_redaction()
    record = logging.LogRecord("urllib3.connectionpool", logging.DEBUG, __file__, 1,
                               'POST /conversations/%s/trigger_intent?token=%s HTTP/1.1', ("+15550102002", "s3cret"),
                               None)
    for f in logging.getLogger("urllib3.connectionpool").filters:
        f.filter(record)
    assert record.getMessage() == "POST /conversations/***/trigger_intent?token=*** HTTP/1.1"
