"""Handlers: one small class per kind of event, each doing one job with its adapters.

A handler declares the typed events it takes (``events``) and does its work in
``handle(event)``; it raises notify.errors exceptions to say how a failure should
be treated. More backends (Satellite host cleanup, ...) are more handlers for the
same events.
"""

import abc


class Handler(abc.ABC):
    #: the notify.events classes this handler takes
    events = ()

    @abc.abstractmethod
    def handle(self, event):
        """Do this handler's work for one event; idempotent, as events may repeat."""
