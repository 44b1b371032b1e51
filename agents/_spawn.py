"""The local `wallie serve` child: its environment, and starting it early.

`wallie ask --stdio` starts the child before it imports the agent, so the child's start-up
and the agent's imports overlap. Only light modules are imported here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from tools.settings import Settings

SERVE = [sys.executable, "-m", "wallie", "serve"]
# Outside Wallie's own settings, what a `wallie serve` child needs from this environment.
_SYSTEM = ("PATH", "HOME", "XDG_DATA_HOME", "LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "TMPDIR")
_PREFIXES = ("WALLIE_", "LITELLM_")
# LiteLLM providers read their credentials and endpoints from variables named like these.
_PROVIDER_SUFFIXES = ("_API_KEY", "_API_BASE", "_API_VERSION", "_BASE_URL")


def child_env(settings: Settings, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a `wallie serve` child: every setting of `settings`, provider keys."""
    environ = os.environ if environ is None else environ
    names = {f.alias for f in Settings.model_fields.values() if f.alias}
    env = {
        k: v
        for k, v in environ.items()
        if k in names or k in _SYSTEM or k.startswith(_PREFIXES) or k.endswith(_PROVIDER_SUFFIXES)
    }
    # The settings as this process resolved them win (defaults included, e.g. the data home).
    for name, value in settings.model_dump(by_alias=True).items():
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None:
            continue
        env[name] = str(value) if isinstance(value, str | Path | int | float) else json.dumps(value)
    return env


def spawn_local_server(settings: Settings) -> subprocess.Popen[bytes]:
    """Start `wallie serve` on stdio now, for a run to connect to later."""
    return subprocess.Popen(
        SERVE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_env(settings)
    )
