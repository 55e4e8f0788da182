"""Every Flow model in the admin gives reviewers search and filters, and Russian labels."""
import re

import pytest
from django.contrib import admin

from accounts.groups import FLOW_APPS

# Reference tables too small to need filters.
NO_FILTERS = {"accounts.Region"}
FLOW_ADMINS = [(model, model_admin) for model, model_admin in admin.site._registry.items()
               if model._meta.app_label in FLOW_APPS]


@pytest.mark.parametrize(("model", "model_admin"), FLOW_ADMINS, ids=[m._meta.label for m, _ in FLOW_ADMINS])
def test_each_admin_list_has_search_filters_and_russian_names(model, model_admin):
    assert model_admin.search_fields
    if model._meta.label not in NO_FILTERS:
        assert model_admin.list_filter
    assert re.search("[а-яё]", str(model._meta.verbose_name_plural), re.IGNORECASE)
