"""Sections of the citizen's "Мои документы" contributed by the apps above enrollment.

enrollment sits below orders (and cohorts) in the dependency order, so the cabinet cannot ask them
for the citizen's orders. Each upper app registers a section in its AppConfig.ready(): a template
and a function giving its context for an application (None when there is nothing to show — the
template then is not rendered, and the cabinet shows its own placeholder).
"""
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    template_name: str
    context_for: Callable  # (application) -> dict | None


_SECTIONS: list[Section] = []


def register_section(*, key: str, template_name: str, context_for: Callable) -> None:
    if not any(s.key == key for s in _SECTIONS):
        _SECTIONS.append(Section(key, template_name, context_for))


def sections_for(application) -> dict[str, tuple[str, dict]]:
    """{key: (template, context)} of every section with something to show for `application`."""
    shown = {}
    for section in _SECTIONS:
        context = section.context_for(application)
        if context:
            shown[section.key] = (section.template_name, context)
    return shown
