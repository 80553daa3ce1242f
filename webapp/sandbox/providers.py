"""The one list of simulated providers; ``create_sandbox_app`` mounts each under ``/<name>``.

A new provider is a package exposing a ``SandboxProvider`` (see ``registry.py``), added here.
"""

from .nexkasa import PROVIDER as NEXKASA
from .paytrek import PROVIDER as PAYTREK
from .pientegra import PROVIDER as PIENTEGRA
from .registry import SandboxProvider

PROVIDERS: tuple[SandboxProvider, ...] = (NEXKASA, PAYTREK, PIENTEGRA)
