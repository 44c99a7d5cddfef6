from django.urls import path

from registry.disclosure import views

urlpatterns = [
    path("", views.index, name="public"),
    path("search/", views.search, name="public-search"),
    path("corsia/", views.corsia, name="public-corsia"),
    path("<str:registry_id>/entities/", views.entities, name="public-entities"),
    path("<str:registry_id>/amounts/", views.amounts, name="public-amounts"),
    path("<str:registry_id>/transactions/", views.transactions, name="public-transactions"),
]
