from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ProviderSettingsForm


@login_not_required
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


def login_locked_out(request, original_response, credentials):
    """The log-in page when django-axes refuses a log-in (AXES_LOCKOUT_CALLABLE): the name stays typed in,
    and a sentence says when to try again. 429 with Retry-After, as for every other limit."""
    until = selectors.login_locked_until(request, credentials)
    username = (credentials or {}).get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    response = render(
        request,
        "accounts/login.html",
        {"form": form, "locked_until": until, "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(max(1, int((until - timezone.now()).total_seconds()) + 1))
    return response


def provider_settings(request):
    saved = selectors.saved_provider_settings(request.user)
    choice = services.provider_choice_for(request.user)
    initial = {"provider": choice.name, "base_url": saved.base_url if saved else choice.base_url}
    form = ProviderSettingsForm(request.POST or None, initial=initial, saved_key=services.key_readable(saved))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.provider_settings_save(
            user=request.user, provider=data["provider"], base_url=data["base_url"], api_key=data["api_key"]
        )
        messages.success(request, _("Saved. New clips, personas and songs go to this provider; nothing was deleted."))
        return redirect("provider_settings")
    key_lost = bool(saved and saved.api_key_encrypted and not services.key_readable(saved))
    return render(
        request,
        "accounts/settings.html",
        {"form": form, "saved": saved, "key_lost": key_lost and services.MSG_KEY_UNREADABLE},
        status=400 if form.errors else 200,
    )


@require_POST
def provider_settings_test(request):
    """ "Test connection": one cheap authenticated call with what is on the form (or the saved key)."""
    result = services.provider_connection_test(
        user=request.user,
        provider=request.POST.get("provider", ""),
        base_url=request.POST.get("base_url", ""),
        api_key=request.POST.get("api_key", ""),
    )
    return render(request, "accounts/settings.html#test-result", {"test_ok": result[0], "test_message": result[1]})
