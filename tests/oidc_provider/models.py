from django.conf import settings
from django.db import models


class Resident(models.Model):
    """What the provider knows of a resident beyond the login: the claims it gives."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    birthdate = models.CharField(max_length=10, blank=True)
    oktmo = models.CharField(max_length=11, blank=True)

    def __str__(self) -> str:
        return self.user.username
