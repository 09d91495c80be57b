"""Composition root: builds the application and views from settings."""

from __future__ import annotations

from adapters.settings import Settings
from application.onestop import OneStop


def build_application(settings: Settings) -> OneStop:
    return OneStop(env=settings.eventsourcing_env())
