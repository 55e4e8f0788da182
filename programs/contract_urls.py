"""URLs of the money side: training contracts, add-on agreements, cost proposals (namespace
`programs`). File URLs take `which` from a fixed set: pdf, sig-operator, sig-partner, calculation."""
from django.urls import path

from programs.views import contracts as views

urlpatterns = [
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/regenerate/", views.contract_regenerate, name="contract_regenerate"),
    path("contracts/<int:pk>/sign/operator/", views.contract_sign_operator, name="contract_sign_operator"),
    path("contracts/<int:pk>/sign/partner/", views.contract_sign_partner, name="contract_sign_partner"),
    path("contracts/<int:pk>/register/", views.contract_register, name="contract_register"),
    path("contracts/<int:pk>/files/<slug:which>/", views.contract_file, name="contract_file"),
    path("contracts/<int:pk>/addons/new/", views.addon_create, name="addon_create"),
    path("contracts/<int:pk>/cost-proposals/new/", views.cost_proposal_create, name="cost_proposal_create"),
    path("addons/<int:pk>/", views.addon_detail, name="addon_detail"),
    path("addons/<int:pk>/generate/", views.addon_generate, name="addon_generate"),
    path("addons/<int:pk>/regenerate/", views.addon_regenerate, name="addon_regenerate"),
    path("addons/<int:pk>/sign/operator/", views.addon_sign_operator, name="addon_sign_operator"),
    path("addons/<int:pk>/sign/partner/", views.addon_sign_partner, name="addon_sign_partner"),
    path("addons/<int:pk>/signed-on/", views.addon_set_date, name="addon_set_date"),
    path("addons/<int:pk>/files/<slug:which>/", views.addon_file, name="addon_file"),
    path("cost-proposals/<int:pk>/", views.cost_proposal_detail, name="cost_proposal_detail"),
    path("cost-proposals/<int:pk>/edit/", views.cost_proposal_edit, name="cost_proposal_edit"),
    path("cost-proposals/<int:pk>/sign/", views.cost_proposal_sign, name="cost_proposal_sign"),
    path("cost-proposals/<int:pk>/regenerate/", views.cost_proposal_regenerate, name="cost_proposal_regenerate"),
    path("cost-proposals/<int:pk>/approve/", views.cost_proposal_approve, name="cost_proposal_approve"),
    path("cost-proposals/<int:pk>/reject/", views.cost_proposal_reject, name="cost_proposal_reject"),
    path("cost-proposals/<int:pk>/files/<slug:which>/", views.cost_proposal_file, name="cost_proposal_file"),
]
