from django.urls import path
from django.views.generic import RedirectView

from registry.web.views import administration, app, auth, authorizations, hours, movements, public, reports, tokens

urlpatterns = [
    path("", public.home, name="home"),
    path("health", public.health, name="health"),
    path("i18n/setlang/", public.change_language, name="set_language"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("2fa/setup/", auth.setup_second_factor, name="2fa-setup"),
    path("app/password/", auth.change_password, name="password-change"),
    path("app/", app.home, name="app-home"),
    path("app/accounts/", app.account_list, name="accounts"),
    path("app/accounts/<str:number>/", app.account_detail, name="account"),
    path("app/accounts/<str:number>/propose/", movements.propose, name="propose"),
    path("app/accounts/<str:number>/trusted/<str:action>/", app.trusted, name="trusted"),
    path("app/transactions/", app.transaction_list, name="transactions"),
    path("app/transactions/<int:pk>/", app.transaction_detail, name="transaction"),
    path("app/transactions/<int:pk>/<str:decision>/", movements.decide, name="decide"),
    path("app/log/", app.access_log, name="access-log"),
    path("app/tokens/", tokens.tokens, name="tokens"),
    path("app/tokens/<int:pk>/revoke/", tokens.revoke, name="token-revoke"),
    path("app/registries/", administration.registries, name="registries"),
    path("app/registries/<str:registry_id>/", app.registry_admin, name="registry-admin"),
    path("app/registries/<str:registry_id>/hours/", hours.registry_hours, name="registry-hours"),
    path("app/registries/<str:registry_id>/people/", administration.people, name="registry-people"),
    path("app/registries/<str:registry_id>/authorizations/", authorizations.authorizations, name="authorizations"),
    path("registries/<str:registry_id>/aef/<int:year>.<str:extension>", reports.aef_download, name="aef-download"),
]

# The administration site signs in through the same login, with its second factor.
admin_login = path("admin/login/", RedirectView.as_view(url="/login/?next=/admin/", query_string=False))
