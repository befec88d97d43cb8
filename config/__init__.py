"""remitwatch configuration: the typed settings and how they are loaded."""

from config.errors import ConfigError, RemitwatchError
from config.known_keys import CONFIG_ENV_VAR
from config.loader import effective_config, load, mask_secrets
from config.settings import Settings

__all__ = [
    "CONFIG_ENV_VAR",
    "ConfigError",
    "RemitwatchError",
    "Settings",
    "effective_config",
    "load",
    "mask_secrets",
]
