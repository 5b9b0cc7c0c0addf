"""Custom components of the NLU pipeline (config.yml)."""
