from django.urls import path

from registry.applications import views

public = [
    path("apply/account/", views.apply_for_account, name="apply"),
    path("apply/<str:reference>/<str:token>/", views.application_status, name="application-status"),
]
app = [
    path("app/applications/", views.application_list, name="applications"),
    path("app/applications/<int:pk>/", views.application_detail, name="application"),
    path("app/applications/<int:pk>/documents/<int:document>/", views.application_document, name="application-document"),
    path("app/applications/<int:pk>/certificate.pdf", views.certificate, name="application-certificate"),
    path("app/accounts/<str:number>/request/", views.new_request, name="application-request"),
    path("app/transactions/<int:pk>/notice.pdf", views.use_notice, name="use-notice"),
]
urlpatterns = public + app
