from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from personastudio.contract.errors import MusicApiError
from personastudio.contract.http import service_root
from personastudio.netguard import PrivateAddressError, require_public_http_url
from personastudio.providers import registry as providers

from . import selectors, services
from .forms import ProviderSettingsForm
from .models import ProviderSettings


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
    saved = ProviderSettings.objects.filter(user=request.user).first()
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
    name = providers.hosted(request.POST.get("provider", "")).name
    base_url = request.POST.get("base_url", "").strip()
    api_key = request.POST.get("api_key", "").strip()
    if not api_key:
        # Only the key this user saved for this very address: never the server's, never to another host.
        saved = services.saved_hosted(request.user)
        if saved and saved.name == name and service_root(saved.base_url) == service_root(base_url):
            api_key = saved.api_key
    if not base_url or not api_key:
        result = (False, _("Enter the service address and an API key first."))
    else:
        try:
            if not settings.MUSIC_API_ALLOW_PRIVATE:
                require_public_http_url(base_url)
            providers.connect(providers.ProviderChoice(name, base_url, api_key), owner=request.user).ping()
            result = (True, _("Connected: the service accepted the key and answered like a MusicMint service."))
        except PrivateAddressError as exc:
            result = (False, str(exc))
        except ValueError:
            result = (False, _("The address must start with http:// or https://, e.g. https://api.example.com."))
        except MusicApiError as exc:
            result = (False, exc.message)
    return render(request, "accounts/settings.html#test-result", {"test_ok": result[0], "test_message": result[1]})
