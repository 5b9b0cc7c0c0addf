"""Custom actions for the Parent Portal assistant, one module per concern."""

from actions.server_auth import protect_action_server

protect_action_server()
