"""`manage.py seed_demo`: a small, complete demo world. Safe to run again (idempotent).

It lives in the topmost app because it seeds every layer: people and organisations
(accounts.demo), then programs and cohorts from the Odin samples (programs.demo).
"""
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, seed_accounts
from programs.demo import seed_programs


class Command(BaseCommand):
    help = ("Создаёт демонстрационные данные: оператора, СЗН, двух партнёров с сотрудниками, гражданина, "
            "кампанию, программы и потоки из примеров Odin.")

    def handle(self, *args, **options):
        logins, citizen = seed_accounts()
        counts = seed_programs()
        self.stdout.write(self.style.SUCCESS("Демо-данные готовы. Вход: http://127.0.0.1:8000/"))
        self.stdout.write(f"Программ: {counts['programs']}, потоков: {counts['cohorts']} (docs/samples).")
        self.stdout.write(f"Пароль сотрудников: {DEMO_PASSWORD}")
        for role, user in logins:
            self.stdout.write(f"  {role:<45} {user.email}")
        self.stdout.write(f"  {'Гражданин (вход по ссылке из письма)':<45} {citizen.email}"
                          " — ссылка придёт на /dev/mail/ и в var/mail/")
