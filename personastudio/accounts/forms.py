from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from personastudio.netguard import PrivateAddressError, require_public_http_url
from personastudio.providers import registry as providers


class ProviderSettingsForm(forms.Form):
    provider = forms.ChoiceField(choices=providers.CHOICES, widget=forms.RadioSelect, label=_("Make music with"))
    base_url = forms.URLField(
        required=False,
        label=_("Service address"),
        assume_scheme="https",
        help_text=_("The service's root, e.g. https://api.example.com (we add /api/v1/)."),
    )
    api_key = forms.CharField(
        required=False,
        label=_("API key"),
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Starts with sk-mm-. Leave empty to keep the saved key."),
    )

    def __init__(self, *args, saved_key: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved_key = saved_key

    def clean(self):
        data = super().clean()
        if data.get("provider") and providers.spec(data["provider"]).hosted:
            if not data.get("base_url"):
                self.add_error("base_url", _("Enter the address of the hosted service."))
            elif not settings.MUSIC_API_ALLOW_PRIVATE:
                try:
                    require_public_http_url(data["base_url"])
                except PrivateAddressError as exc:
                    self.add_error("base_url", str(exc))
            if not data.get("api_key") and not self.saved_key:
                self.add_error("api_key", _("Enter the API key the service gave you."))
        return data
