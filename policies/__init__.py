"""Custom Rasa policies (listed in config.yml)."""
