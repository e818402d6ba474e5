from django.urls import path, re_path

from . import views

app_name = "django_voiceotp"

urlpatterns = [
    path("challenges/", views.ChallengeListView.as_view(), name="challenge-list"),
    path("challenges/<str:pk>/", views.ChallengeDetailView.as_view(), name="challenge-detail"),
    path("challenges/<str:pk>/verify/", views.ChallengeVerifyView.as_view(), name="challenge-verify"),
    path("challenges/<str:pk>/resend/", views.ChallengeResendView.as_view(), name="challenge-resend"),
    path("challenges/<str:pk>/cancel/", views.ChallengeCancelView.as_view(), name="challenge-cancel"),
    re_path(r"", views.UnknownPathView.as_view()),  # last: the rest of the mount answers JSON 404
]
