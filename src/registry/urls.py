from django.contrib import admin
from django.urls import include, path

from registry.web.urls import admin_login

urlpatterns = [
    admin_login,
    path("admin/", admin.site.urls),
    path("api/", include("registry.api.urls")),
    path("public/", include("registry.disclosure.urls")),
    path("", include("registry.applications.urls")),
    path("", include("registry.peers.urls")),
    path("", include("registry.web.urls")),
]

handler403 = "registry.web.views.errors.forbidden"
handler404 = "registry.web.views.errors.not_found"
# A server error is recorded, an outage of the database answered 503 (see registry.outages).
handler500 = "registry.web.views.errors.server_error"
