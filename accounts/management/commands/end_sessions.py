"""manage.py end_sessions: log a user out everywhere at once (a stolen laptop, a leaked cookie,
a dismissal before the account is switched off). SESS-04."""
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.sessions import sessions_end


class Command(BaseCommand):
    help = "Завершить все сеансы пользователя: на всех устройствах ему придётся войти заново."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="e-mail пользователя (логин)")

    def handle(self, *args, **options):
        email = options["email"].strip()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"Пользователь {email} не найден.")
        ended = sessions_end(user=user, reason="ops_command")
        self.stdout.write(f"Завершено сеансов: {ended} ({user.email}).")
