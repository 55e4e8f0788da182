"""Forms of the citizen cabinet. File fields take one or several files (photos of one document are
merged into one PDF); whether a document is required, and whether a file is acceptable, is the
service's decision (enrollment.services.cabinet), which reports back keyed by these field names."""
from django import forms
from django.utils.translation import gettext_lazy as _

from documents.validators import SCAN_ACCEPT
from enrollment.models import ApplicationDocument, Citizen

Kind = ApplicationDocument.Kind


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class ScanField(forms.FileField):
    """Zero, one or several files of one document; cleans to a list."""

    def __init__(self, *, label, help_text="", **kwargs):
        kwargs.setdefault("required", False)
        widget = MultipleFileInput(attrs={"accept": SCAN_ACCEPT, "multiple": True, "class": "scan-input"})
        super().__init__(label=label, help_text=help_text, widget=widget, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def scan_field(kind, help_text="") -> ScanField:
    return ScanField(label=Kind(kind).label, help_text=help_text)


SCAN_HELP = _("PDF, JPEG или PNG, до 30 МБ. Можно выбрать несколько фотографий — они объединятся в один PDF.")


class NotificationsForm(forms.Form):
    """Step 1: two separate consents, neither ticked in advance (152-FZ art. 9, PDN-01): to the
    processing of personal data and to their transfer to the educational organisation. The texts
    shown beside the boxes are privacy.consent's current versions; a missing box is a field error."""

    consent_processing = forms.BooleanField(
        label=_("Даю согласие на обработку моих персональных данных"), required=True,
        error_messages={"required": _("Без согласия на обработку персональных данных мы не можем работать с "
                                      "вашей заявкой.")})
    consent_transfer = forms.BooleanField(
        label=_("Даю согласие на передачу моих персональных данных образовательной организации"), required=True,
        error_messages={"required": _("Без согласия на передачу данных образовательная организация не сможет "
                                      "проверить документы и зачислить вас.")})

    def purposes(self) -> list[str]:
        return [name.removeprefix("consent_") for name in ("consent_processing", "consent_transfer")
                if self.cleaned_data.get(name)]


class PersonalForm(forms.Form):
    actual_address = forms.CharField(
        label=_("Фактический адрес проживания"), max_length=500, required=False,
        help_text=_("Заполните, если он отличается от адреса регистрации."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    work_status = forms.ChoiceField(
        label=_("Сведения о трудовой деятельности"), choices=Citizen.WorkStatus.choices, widget=forms.RadioSelect)
    labour_record_date = forms.DateField(
        label=_("Дата формирования выписки"), required=False,
        help_text=_("Выписка из электронной трудовой книжки с Госуслуг, сформированная не раньше чем две недели "
                    "назад."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    vk_url = forms.URLField(label=_("Профиль ВКонтакте (необязательно)"), required=False, assume_scheme="https")
    photo = scan_field(Kind.PHOTO, _("Необязательно. Портретное фото, JPEG или PNG."))
    passport_main = scan_field(Kind.PASSPORT_MAIN, SCAN_HELP)
    passport_registration = scan_field(Kind.PASSPORT_REGISTRATION, SCAN_HELP)
    labour_record = scan_field(Kind.LABOUR_RECORD, _("Выписка из электронной трудовой книжки (PDF с Госуслуг)."))

    FILE_KINDS = (Kind.PHOTO, Kind.PASSPORT_MAIN, Kind.PASSPORT_REGISTRATION, Kind.LABOUR_RECORD)

    @classmethod
    def for_citizen(cls, citizen: Citizen, **kwargs):
        initial = {"actual_address": citizen.actual_address, "work_status": citizen.work_status,
                   "vk_url": citizen.vk_url}
        return cls(initial=initial, **kwargs)


class EducationForm(forms.Form):
    education_level = forms.ChoiceField(
        label=_("Уровень образования"), choices=[("", _("Выберите уровень"))] + Citizen.EducationLevel.choices)
    education_document = forms.CharField(
        label=_("Реквизиты документа об образовании"), max_length=300,
        help_text=_("Вид документа, серия, номер и дата выдачи — как в документе."))
    education_institution = forms.CharField(
        label=_("Кем выдан (образовательная организация)"), max_length=500, required=False)
    education = scan_field(Kind.EDUCATION, SCAN_HELP)
    has_translation = forms.BooleanField(
        label=_("Документ на иностранном языке — загружу нотариальный перевод"), required=False)
    education_translation = scan_field(Kind.EDUCATION_TRANSLATION, SCAN_HELP)
    has_surname_change = forms.BooleanField(
        label=_("Фамилия в документе отличается от нынешней — загружу документы о смене фамилии"), required=False)
    surname_change = scan_field(
        Kind.SURNAME_CHANGE, _("Все документы, если фамилия менялась несколько раз: выберите их вместе, они "
                               "объединятся в один PDF."))

    FILE_KINDS = (Kind.EDUCATION, Kind.EDUCATION_TRANSLATION, Kind.SURNAME_CHANGE)

    @classmethod
    def for_citizen(cls, citizen: Citizen, documents: dict, **kwargs):
        initial = {"education_level": citizen.education_level, "education_document": citizen.education_document,
                   "education_institution": citizen.education_institution,
                   "has_translation": Kind.EDUCATION_TRANSLATION in documents,
                   "has_surname_change": Kind.SURNAME_CHANGE in documents}
        return cls(initial=initial, **kwargs)


class EnrolmentForm(forms.Form):
    enrolment_contract = scan_field(Kind.ENROLMENT_CONTRACT, _("Все страницы подписанного договора."))
    personal_data_consent = scan_field(Kind.PERSONAL_DATA_CONSENT, SCAN_HELP)
    enrolment_application = scan_field(Kind.ENROLMENT_APPLICATION, SCAN_HELP)

    FILE_KINDS = tuple(ApplicationDocument.ENROLMENT)


class OriginalsForm(forms.Form):
    originals_track_number = forms.CharField(
        label=_("Трек-номер почтового отправления"), max_length=40, min_length=10,
        help_text=_("Номер с квитанции Почты России: 14 цифр или 13 знаков вида RA123456789RU."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}))
    originals_sent_on = forms.DateField(
        label=_("Дата отправки"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    originals_comment = forms.CharField(
        label=_("Комментарий (необязательно)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}))

    def clean_originals_track_number(self):
        value = "".join(self.cleaned_data["originals_track_number"].split()).upper()
        if not value.isalnum() or not value.isascii():
            raise forms.ValidationError(_("Трек-номер состоит из латинских букв и цифр."))
        return value

    @classmethod
    def for_application(cls, application, **kwargs):
        initial = {"originals_track_number": application.originals_track_number,
                   "originals_sent_on": application.originals_sent_on,
                   "originals_comment": application.originals_comment}
        return cls(initial=initial, **kwargs)


class WithdrawalForm(forms.Form):
    withdrawal = ScanField(label=_("Подписанное заявление на отчисление"), help_text=SCAN_HELP)


class EmploymentProofForm(forms.Form):
    employment_proof = scan_field(
        Kind.EMPLOYMENT_PROOF, _("Выписка из электронной трудовой книжки, копия трудовой книжки, справка или "
                                 "приказ работодателя о приёме на работу."))
