"""Custom actions for the Parent Portal assistant, one module per concern.

Importing this package changes nothing: the action server's start-up (its token check, its keep-alive timeout)
runs from rasa_sdk's plugin hook, `rasa_sdk_plugins`.
"""
