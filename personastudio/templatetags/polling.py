"""`{% poll url %}`: the one way a page follows a job live with htmx.

It writes the hx-get/hx-trigger/hx-swap attributes with the interval from settings.PAGE_POLL_INTERVAL_S.
The fragment answers 286 when the job is done, which stops htmx polling. (How often the studio asks a
hosted service is another number, GENERATION_POLL_INTERVAL_S: many tabs polling share one upstream call.)
"""

from django import template
from django.conf import settings
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def poll(url: str, swap: str = "outerHTML"):
    return format_html(
        'hx-get="{}" hx-trigger="every {}s" hx-swap="{}"', url, f"{settings.PAGE_POLL_INTERVAL_S:g}", swap
    )
