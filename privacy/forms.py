from django import forms
from django.utils.translation import gettext_lazy as _


class WithdrawConsentForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Я понимаю, что после отзыва согласия обучение по заявке будет невозможно, а мои данные "
                "будут уничтожены"),
        error_messages={"required": _("Подтвердите, что вы понимаете последствия отзыва согласия.")})
