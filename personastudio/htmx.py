"""The request type of a view that reads ``request.htmx`` (django-htmx's middleware sets it on every request)."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """An HttpRequest with django-htmx's ``htmx`` details: annotate a view's ``request`` with it, never build one."""

    htmx: HtmxDetails
