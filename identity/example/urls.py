from django.urls import path

from identity.example import views

urlpatterns = [
    path("public", views.PublicView.as_view(), name="example-public"),
    path("users/<str:identity_id>/notes", views.NotesView.as_view(), name="example-notes"),
    path("plain/whoami", views.whoami, name="example-whoami"),
]
