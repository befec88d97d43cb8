"""The root of remitwatch's exception hierarchy.

It lives in `config` because `config` is the one package every other part may
import. Each layer adds its own subclasses (`StoreError` in the store,
`SourceError` and `RejectedFileError` in the jobs); the CLI maps them to exit
codes and the API to status codes.
"""


class RemitwatchError(Exception):
    """Base of every error remitwatch raises on purpose. The message says what to do."""


class ConfigError(RemitwatchError):
    """A configuration value is missing or invalid; the message names the key."""
