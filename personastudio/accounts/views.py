from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from personastudio.musicapi.errors import MusicApiError
from personastudio.musicapi.remote import RemoteProvider

from . import services
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


def provider_settings(request):
    saved = ProviderSettings.objects.filter(user=request.user).first()
    choice = services.provider_choice_for(request.user)
    initial = {"provider": choice.name, "base_url": saved.base_url if saved else choice.base_url}
    form = ProviderSettingsForm(request.POST or None, initial=initial, saved_key=bool(saved and saved.api_key_encrypted))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.provider_settings_save(user=request.user, provider=data["provider"], base_url=data["base_url"],
                                        api_key=data["api_key"])
        messages.success(request, "Saved. New clips, personas and songs go to this provider; nothing was deleted.")
        return redirect("provider_settings")
    return render(request, "accounts/settings.html", {"form": form, "saved": saved},
                  status=400 if form.errors else 200)


@require_POST
def provider_settings_test(request):
    """"Test connection": one cheap authenticated call with what is on the form (or the saved key)."""
    base_url = request.POST.get("base_url", "").strip()
    api_key = request.POST.get("api_key", "").strip()
    if not api_key:
        saved = services.provider_choice_for(request.user)
        api_key = saved.api_key if saved.name == "remote" else ""
    if not base_url or not api_key:
        result = (False, "Enter the service address and an API key first.")
    else:
        try:
            RemoteProvider(base_url=base_url, api_key=api_key, timeout_s=10, max_retries=0).ping()
            result = (True, "Connected: the service accepted the key and answered like a MusicMint service.")
        except ValueError:
            result = (False, "The address must start with http:// or https://, e.g. https://api.example.com.")
        except MusicApiError as exc:
            result = (False, exc.message)
    return render(request, "accounts/settings.html#test-result", {"test_ok": result[0], "test_message": result[1]})
