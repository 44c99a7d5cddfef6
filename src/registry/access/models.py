"""Who may do what: representatives of accounts, trusted accounts, and the log of operations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from registry.access.audit import Channel
from registry.accounts.models import Account, Right
from registry.parties.models import Registry

INITIATING = frozenset({Right.INITIATE, Right.INITIATE_AND_APPROVE})
APPROVING = frozenset({Right.APPROVE, Right.INITIATE_AND_APPROVE})


class Representative(models.Model):
    """A person allowed to act for an account, with one right."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="representations")
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="representatives")
    right = models.CharField(verbose_name=_("right"), max_length=30, choices=Right.choices)
    granted_at = models.DateTimeField(verbose_name=_("granted at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "account"], name="one_right_per_user_and_account")]
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")

    def __str__(self) -> str:
        return f"{self.user} {self.right} {self.account}"


class TrustedAccount(models.Model):
    """``trusted`` is on ``account``'s trusted list from ``effective_at`` until ``removed_at``."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="trusted_list")
    trusted = models.ForeignKey(Account, verbose_name=_("trusted account"), on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(verbose_name=_("added at"))
    effective_at = models.DateTimeField(verbose_name=_("effective at"))
    removed_at = models.DateTimeField(verbose_name=_("removed at"), null=True, blank=True)

    class Meta:
        ordering = ["account", "trusted__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "trusted"], condition=models.Q(removed_at__isnull=True), name="trusted_once_while_listed"
            )
        ]
        verbose_name = _("trusted account")
        verbose_name_plural = _("trusted accounts")

    def __str__(self) -> str:
        return f"{self.account} trusts {self.trusted}"


class Operation(models.TextChoices):
    """What an operation log entry records: one kind per thing a person does, whichever interface
    they use (``OperationLog.channel`` says which). A refused attempt has the kind of what was
    attempted and ``refused <code>`` or ``denied`` as its outcome. A ``StrEnum``: the stored values
    are the strings the log has always held."""

    LOGIN = "login", _("Sign-in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOGOUT = "logout", _("Sign-out")
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled", _("Authenticator app set up")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    VIEW_ACCOUNT = "view_account", _("View an account")
    VIEW_TRANSACTION = "view_transaction", _("View a transaction")
    VIEW_NOTICE = "view_notice", _("View a notice or certificate")
    VIEW_APPLICATION = "view_application", _("View an application")
    DOWNLOAD_DOCUMENT = "download_document", _("Download an applicant's document")
    AEF_DOWNLOAD = "aef_download", _("Download the AEF")
    VIEW_AUTHORIZATIONS = "authorizations", _("View the authorisations")
    AUTHORIZE_ENTITY = "authorize_entity", _("Authorise an entity")
    REGISTRY_ADMIN = "registry_admin", _("Registry administration")
    PROPOSE = "propose", _("Propose a transaction")
    APPROVE = "approve", _("Approve a transaction")
    REJECT = "reject", _("Reject a transaction")
    CANCEL = "cancel", _("Cancel a transaction")
    ISSUE = "issue", _("Issue units")
    CREATE_AUTHORIZATION = "create_authorization", _("Create an authorisation")
    AUTHORIZE = "authorize", _("Authorise units")
    TRUSTED_ACCOUNT_ADDED = "trusted_account_added", _("Add a trusted account")
    TRUSTED_ACCOUNT_REMOVED = "trusted_account_removed", _("Remove a trusted account")
    GRANT_RIGHT = "grant_right", _("Grant a right")
    RIGHT_REVOKED = "revoke_right", _("Revoke a right")
    USER_CREATED = "user_created", _("Create a user")
    PASSWORD_INITIALISED = "password_initialised", _("Initialise a password")
    LOGIN_ID_REISSUED = "login_id_reissued", _("Reissue a login ID")
    MOVEMENTS_SUSPENDED = "movements_suspended", _("Suspend movements")
    MOVEMENTS_RESUMED = "movements_resumed", _("Resume movements")
    REGISTRY_HOURS = "registry_hours", _("Operating hours and maintenance")
    OPERATING_HOURS_SET = "operating_hours_set", _("Set the operating hours")
    MAINTENANCE_ANNOUNCED = "maintenance_announced", _("Announce maintenance")
    API_TOKEN_CREATED = "api_token_created", _("Create an API token")
    API_TOKEN_REVOKED = "api_token_revoked", _("Revoke an API token")
    API_TOKEN_CREATED_FOR = "api_token_created_for", _("Create an API token for a user")
    APPLICATION_SUBMITTED = "application_submitted", _("Submit an application")
    APPLICATION_REVIEW = "application_review", _("Start reviewing an application")
    APPLICATION_RETURN = "application_return", _("Return an application for correction")
    APPLICATION_REJECT = "application_reject", _("Reject an application")
    APPLICATION_APPROVE = "application_approve", _("Approve an application")
    NOTIFICATIONS_READ = "notifications_read", _("Mark notifications read")
    REQUEST_REFUSED = "request_refused", _("Request refused")
    SERVER_ERROR = "server_error", _("Server error")
    PEERS = "peers", _("Peer registries page")
    PEER_ADDED = "peer_added", _("Register a peer registry")
    PEER_REMOVED = "peer_removed", _("Remove a peer registry")
    PEER_MESSAGE_RECEIVED = "peer_message_received", _("Message from a peer registry")
    PEER_MESSAGE_SENT = "peer_message_sent", _("Message to a peer registry")


StrOrPromise = str | Promise


def operation_choices() -> list[tuple[str, StrOrPromise]]:
    """The operation kinds, read when asked, so a new kind needs no migration (each would repeat the whole list)."""
    return list(Operation.choices)


class OperationLog(models.Model):
    """What each person did, and every refused attempt (for the access and operation log screens)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    registry = models.ForeignKey(Registry, verbose_name=_("registry"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(verbose_name=_("at"))
    action = models.CharField(verbose_name=_("action"), max_length=60, choices=operation_choices)
    channel = models.CharField(verbose_name=_("channel"), max_length=10, choices=Channel.choices, blank=True)
    target = models.CharField(verbose_name=_("target"), max_length=200, blank=True)
    outcome = models.CharField(verbose_name=_("outcome"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(verbose_name=_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["registry", "at"])]
        verbose_name = _("operation log entry")
        verbose_name_plural = _("operation log entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.target} {self.outcome}"


class TemporaryPassword(models.Model):
    """``user``'s password was set by someone else (an administrator, an approval): the user must
    choose their own at the next sign-in before doing anything else."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="temporary_password"
    )
    set_at = models.DateTimeField(verbose_name=_("set at"))

    class Meta:
        verbose_name = _("temporary password")
        verbose_name_plural = _("temporary passwords")

    def __str__(self) -> str:
        return f"{self.user} must change the password set at {self.set_at:%Y-%m-%d %H:%M}"
