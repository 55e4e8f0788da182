"""The bench-only minimal page: the floor the partner's applications list is compared with — one
indexed query (the partner's 50 latest applications) and a plain 50-row table, no layout."""
from django.http import HttpResponse
from django.template import engines

from enrollment.models import Application

TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>min</title><table>{% for a in rows %}<tr><td>{{ a.rr_number }}</td>"
    "<td>{{ a.status }}</td><td>{{ a.submitted_at }}</td></tr>{% endfor %}</table>")


def minimal(request):
    partner = request.GET.get("partner")
    rows = (Application.objects.filter(partner_id=partner).order_by("-submitted_at")
            .only("rr_number", "status", "submitted_at")[:50])
    return HttpResponse(TEMPLATE.render({"rows": rows}))
