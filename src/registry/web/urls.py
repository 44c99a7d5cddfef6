from django.urls import path

from registry.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    path("registries/<str:registry_id>/aef/<int:year>.<str:extension>", views.aef_download, name="aef-download"),
]
