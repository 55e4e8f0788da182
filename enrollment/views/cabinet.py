"""The citizen's cabinet (ЛК слушателя)."""
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from core.access import require

# The cabinet's path from application to qualification document (reference §3.1, seed 001),
# told in the citizen's words. Shown on the cabinet home until applications arrive.
CABINET_STEPS = [
    (_("Заявка на портале «Работа России»"),
     _("Заявка подаётся и подтверждается только на портале «Работа России». После подачи на вашу "
       "почту придёт письмо со ссылкой для входа в Flow.")),
    (_("Уведомления и личные данные"),
     _("Включите уведомления, проверьте ФИО и адрес, загрузите фото, скан паспорта и сведения "
       "о трудовой деятельности.")),
    (_("Образование"),
     _("Укажите уровень образования и загрузите документ об образовании; если меняли фамилию — "
       "документы о смене фамилии.")),
    (_("Проверка документов"),
     _("Образовательная организация проверит документы. Если что-то нужно исправить, вы увидите "
       "комментарий — исправьте и отправьте снова.")),
    (_("Договор и заявление о зачислении"),
     _("Скачайте бланки договора, согласия на обработку персональных данных и заявления, "
       "подпишите их и загрузите сканы.")),
    (_("Договор о намерениях и оригиналы"),
     _("Подпишите договор о намерениях на портале «Работа России», затем отправьте оригиналы "
       "документов почтой и укажите трек-номер.")),
    (_("Обучение"),
     _("После зачисления здесь появится приказ о зачислении, а накануне начала — приглашение "
       "на образовательную платформу.")),
    (_("Завершение"),
     _("После обучения здесь будут приказ об отчислении и скан документа о квалификации; "
       "оригинал придёт почтой.")),
]


def cabinet_home(request):
    """The citizen's start page: greeting, their applications (later issues) and the steps ahead."""
    require(request.user.access.is_citizen)
    user = request.user
    greeting_name = " ".join(p for p in (user.first_name, user.patronymic) if p)
    return render(request, "enrollment/cabinet_home.html", {
        "greeting_name": greeting_name,
        "steps": [{"title": title, "text": text} for title, text in CABINET_STEPS],
    })
