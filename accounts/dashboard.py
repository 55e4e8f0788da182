"""Panels of the staff desk contributed by the apps above accounts.

accounts sits low in the dependency order, so it cannot ask the upper apps what is late or
waiting. Each upper app registers a panel in its AppConfig.ready(): a template and a function
giving its context for a user (or None when the panel has nothing to show).
"""
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    template_name: str
    context_for: Callable  # (user) -> dict | None


_PANELS: list[Panel] = []


def register_panel(*, template_name: str, context_for: Callable) -> None:
    if not any(p.template_name == template_name for p in _PANELS):
        _PANELS.append(Panel(template_name, context_for))


def panels_for(user) -> list[tuple[str, dict]]:
    """(template, context) of every panel with something to show to `user`."""
    shown = []
    for panel in _PANELS:
        context = panel.context_for(user)
        if context:
            shown.append((panel.template_name, context))
    return shown
