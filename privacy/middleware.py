"""Writes the audit events of registered personal-data pages (see privacy.audit)."""
from privacy.audit import audit, audited_view, check_off_hours_admin
from privacy.models import AuditEvent


class AuditMiddleware:
    """After the response of a registered URL: one event for a success, `denied` for 403/404.
    Redirects (a login page, a form that saved) are not reads; a POST that redirects is a change."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        spec = audited_view(match.view_name) if match is not None else None
        user = getattr(request, "user", None)
        if match is not None and match.view_name.startswith("admin:") and user is not None and user.is_authenticated:
            check_off_hours_admin(user)
        if spec is None:
            return response
        if user is None or not user.is_authenticated:
            return response  # the login redirect: nothing was shown
        status = response.status_code
        post = request.method == "POST"
        if status in (403, 404):
            action = AuditEvent.Action.DENIED
        elif 200 <= status < 300:
            action = spec.action  # a POST answered 200 showed the form again: a read, not a change
        elif post and 300 <= status < 400:
            action = AuditEvent.Action.CHANGE
        else:
            return response
        object_id = match.kwargs.get(spec.kwarg, "")
        subject_id = None
        if action != AuditEvent.Action.DENIED and spec.subject is not None:
            try:
                subject_id = spec.subject(object_id, user)
            except (ValueError, TypeError):  # an admin URL with a non-numeric id: no subject to name
                subject_id = None
        audit(action=action, request=request, user=user, object_type=spec.object_type, object_id=object_id,
              subject_id=subject_id, status_code=status)
        return response
