"""Authentication backend for the admin console: operators only."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from userpools.models import User


class OperatorBackend(ModelBackend):
    """Authenticates staff users that belong to no pool; pool users never reach the console."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        try:
            user = User.objects.get(pool__isnull=True, username_key=username)
        except User.DoesNotExist:
            # Spend the same time as a real check so the response does not reveal existence.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        try:
            user = User.objects.get(pk=user_id, pool__isnull=True)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
