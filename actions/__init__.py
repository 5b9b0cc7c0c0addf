"""Custom actions for the Parent Portal assistant, one module per concern."""

from actions.server_auth import protect_action_server
from actions.server_timeouts import keep_new_connections_open

protect_action_server()
keep_new_connections_open()
