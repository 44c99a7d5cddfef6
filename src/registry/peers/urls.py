from django.urls import path

from registry.peers import views

urlpatterns = [path("app/peers/", views.peers, name="peers")]
