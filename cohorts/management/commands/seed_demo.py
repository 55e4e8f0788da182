"""`manage.py seed_demo`: a small, complete demo world. Safe to run again (idempotent).

It lives in the topmost app because it seeds every layer: people and organisations
(accounts.demo), programs and cohorts from the Odin samples (programs.demo), then applications
from the Работа России samples (enrollment.demo).
"""
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, seed_accounts
from enrollment.demo import seed_applications
from programs.demo import seed_programs


class Command(BaseCommand):
    help = ("Создаёт демонстрационные данные: оператора, СЗН, двух партнёров с сотрудниками, гражданина, "
            "кампанию, программы, потоки и заявки из примеров Odin и «Работы России».")

    def handle(self, *args, **options):
        logins, citizen = seed_accounts()
        counts = seed_programs()
        counts.update(seed_applications())
        self.stdout.write(self.style.SUCCESS("Демо-данные готовы. Вход: http://127.0.0.1:8000/"))
        self.stdout.write(f"Программ: {counts['programs']}, потоков: {counts['cohorts']}, "
                          f"заявок: {counts['applications']} (docs/samples).")
        self.stdout.write(f"Пароль сотрудников: {DEMO_PASSWORD}")
        for role, user in logins:
            self.stdout.write(f"  {role:<45} {user.email}")
        self.stdout.write(f"  {'Гражданин (вход по ссылке из письма)':<45} {citizen.email}"
                          " — ссылка придёт на /dev/mail/ и в var/mail/")
