"""Applications entities submit online (Forms 1-5) and administrators review, with their documents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.accounts.models import Account
from registry.parties.models import Registry


class Form(models.TextChoices):
    OPEN_ACCOUNT = "form1", _("Form 1: open an entity holding account")
    CHANGE_INFORMATION = "form2", _("Form 2: change account information")
    CERTIFICATE = "form3", _("Form 3: certificate of account information")
    CLOSE_ACCOUNT = "form4", _("Form 4: close an account")
    CREDENTIALS = "form5", _("Form 5: reissue the login ID or initialise the password")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    RETURNED = "returned", _("Returned for correction")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class DocumentKind(models.TextChoices):
    INCORPORATION = "incorporation", _("Certificate of incorporation or articles of association")
    TRANSLATION = "translation", _("Certified English translation (if not in English or Japanese)")
    AUTHORIZATION = "authorization", _("Document authorising the account manager")
    PASSPORT = "passport", _("Passport pages of the account manager")


#: Form 1 needs these; the translation only when the originals are in another language.
REQUIRED_FOR_OPENING = [DocumentKind.INCORPORATION, DocumentKind.AUTHORIZATION, DocumentKind.PASSPORT]


class Application(models.Model):
    registry = models.ForeignKey(Registry, verbose_name=_("registry"), on_delete=models.PROTECT, related_name="applications")
    reference = models.CharField(verbose_name=_("reference"), max_length=20, unique=True)
    form = models.CharField(verbose_name=_("form"), max_length=10, choices=Form.choices)
    status = models.CharField(verbose_name=_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applicant"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    data = models.JSONField(verbose_name=_("data"), default=dict)
    # An applicant without a login (Form 1) follows the application through a secret link.
    access_token = models.CharField(verbose_name=_("access token"), max_length=64)
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))
    result = models.JSONField(
        verbose_name=_("result"), default=dict, blank=True, help_text=_("what approval did (account opened, login ID...)")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return self.reference


class ApplicationDocument(models.Model):
    """An uploaded PDF, stored outside the web root under a random name."""

    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=DocumentKind.choices)
    original_name = models.CharField(verbose_name=_("file name"), max_length=255)
    stored_name = models.CharField(verbose_name=_("stored name"), max_length=80, unique=True)
    size = models.PositiveIntegerField(verbose_name=_("size"))
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"))

    class Meta:
        ordering = ["application", "kind", "-uploaded_at"]
        verbose_name = _("document of an application")
        verbose_name_plural = _("documents of applications")

    def __str__(self) -> str:
        return f"{self.application} {self.kind}"


class ApplicationEvent(models.Model):
    """The history of an application: every status it went through, by whom, with what comment."""

    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(verbose_name=_("at"))
    status = models.CharField(verbose_name=_("status"), max_length=20, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(verbose_name=_("comment"), blank=True)

    class Meta:
        ordering = ["application", "at", "pk"]
        verbose_name = _("step of an application")
        verbose_name_plural = _("steps of applications")

    def __str__(self) -> str:
        return f"{self.application} {self.status}"
