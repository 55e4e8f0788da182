from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    # LOGIN_REDIRECT_URL: the same role dispatch as the site root.
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/set/<str:token>/", views.password_set, name="password_set"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/change/", views.password_change, name="password_change"),
    path("citizen/login/", views.citizen_login, name="citizen_login"),
    path("citizen/login/<str:token>/", views.citizen_login_confirm, name="citizen_login_confirm"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/members/", views.staff_list, name="staff_list"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/members/<int:pk>/replace-documents/", views.membership_replace_documents,
         name="membership_replace_documents"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
]
