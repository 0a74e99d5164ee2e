"""Accounts: reads."""

from __future__ import annotations

from datetime import datetime

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from .models import ProviderSettings


def login_locked_until(request: HttpRequest, credentials: dict | None) -> datetime:
    """When the log-in lock-out of this username from this address ends: its last counted failure plus
    the cool-off (failures during a lock-out are not counted, so this time does not move)."""
    last_failure = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=request.axes_ip_address,
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last_failure or timezone.now()) + get_cool_off(request)


def saved_provider_settings(user: AbstractBaseUser) -> ProviderSettings | None:
    """The provider this account saved (hosted address and key), None when it never saved one."""
    return ProviderSettings.objects.filter(user=user).first() if user and user.pk else None
