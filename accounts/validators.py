"""Flow's own password rule (AUTH-02): besides Django's common-password list, a password may not
be built on words an attacker would try first against Flow — the service's name, the national
projects and campaigns, and the names of the organisations that work in it."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Lower-case; a password containing one of these (case-insensitively) is refused.
FLOW_WORDS = ("flow", "флоу", "работароссии", "trudvsem", "амсз", "amsz", "содействие",
              "занятость", "минтруд", "mintrud", "переобучение", "retraining")
# Shorter parts of organisation names ("ООО", "АНО", "им") are too common to ban.
MIN_NAME_WORD = 5
_WORD = re.compile(r"[^\W_]+")


def _squeezed(text: str) -> str:
    return "".join(_WORD.findall(text.lower())).replace("ё", "е")


class FlowWordsValidator:
    def validate(self, password, user=None):
        from accounts.models import Campaign, Organization

        squeezed = _squeezed(password)
        words = {_squeezed(word) for word in FLOW_WORDS}
        for name in (*Organization.objects.values_list("short_name", flat=True),
                     *Campaign.objects.values_list("title", flat=True)):
            words |= {word.replace("ё", "е") for word in _WORD.findall(name.lower()) if len(word) >= MIN_NAME_WORD}
        if any(word and word in squeezed for word in words):
            raise ValidationError(
                _("Пароль не должен содержать название Flow, кампании или организации: такие пароли "
                  "подбирают первыми."), code="password_flow_word")

    def get_help_text(self):
        return _("Пароль не должен содержать название Flow, кампании или организации.")
