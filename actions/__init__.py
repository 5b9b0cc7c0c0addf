"""Custom actions for the Parent Portal assistant, one module per concern."""
