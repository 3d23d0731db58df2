"""Branches, staff users and the audit trail."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bankcrm.core.roles import Role


class Branch(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    city = models.CharField(_("city"), max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class User(AbstractUser):
    """A member of the bank's staff."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.RM)
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    name_zh = models.CharField(_("Chinese name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.get_full_name() or self.username


class AuditAction(models.TextChoices):
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    VIEW = "view", _("view")
    REVEAL = "reveal", _("reveal")
    LOGIN = "login", _("log in")
    LOGOUT = "logout", _("log out")
    LOGIN_FAILED = "login_failed", _("failed log-in")
    LOCKED_OUT = "locked_out", _("locked out")
    EXPORT = "export", _("export")
    VERIFY = "verify", _("verify")
    FAIL = "fail", _("job failed")


class AuditEvent(models.Model):
    """One entry in the audit trail; written in the same transaction as the change it records.

    Insert-only: on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE, except the one-time
    seal that sets ``seq``, ``prev_hash`` and ``hash`` (see ``core.chain``). Each sealed event's
    hash covers its content and the previous event's hash, so an edit, a deletion or a reordering
    breaks the chain where it happened.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    # PROTECT: staff with a history are deactivated, never deleted (that would rewrite events).
    actor = models.ForeignKey(
        User,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # indexed through (actor, at) below, which starts with it
    )
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    purpose = models.CharField(_("purpose"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    seq = models.BigIntegerField(_("chain position"), null=True, blank=True, unique=True)
    # db_default: bulk writers (COPY) name only the content columns.
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, db_default="")
    hash = models.CharField(_("hash"), max_length=64, blank=True, db_default="")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["customer_id", "at"], name="audit_customer_at"),
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
            # The seal's "events not chained yet, oldest first" without a scan of the trail.
            models.Index(
                fields=["id"], name="audit_unsealed", condition=models.Q(seq__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}"


class ChainStatus(models.TextChoices):
    INTACT = "intact", _("intact")
    BROKEN = "broken", _("broken")


class AuditVerification(models.Model):
    """One check of the audit chain: how far it got, and the first broken event if any.

    The head it saw (position and hash) is kept, so a later check notices events removed from
    the end of the chain, which the chain alone cannot show.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor_username = models.CharField(_("by"), max_length=150, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ChainStatus.choices)
    checked = models.BigIntegerField(_("events checked"), default=0)
    unsealed = models.BigIntegerField(_("events not yet chained"), default=0)
    head_seq = models.BigIntegerField(_("last position"), null=True, blank=True)
    head_hash = models.CharField(_("last hash"), max_length=64, blank=True)
    broken_seq = models.BigIntegerField(_("first broken position"), null=True, blank=True)
    broken_event_id = models.BigIntegerField(_("first broken event"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit chain check")
        verbose_name_plural = _("audit chain checks")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.status} ({self.checked})"


class AuditPurge(models.Model):
    """Events older than the retention period removed from the trail after being archived.

    The chain then starts at ``first_kept_seq``, whose ``prev_hash`` is recorded here, so that
    verification still detects anything else missing.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor_username = models.CharField(_("by"), max_length=150, blank=True)
    before = models.DateTimeField(_("events before"))
    removed = models.BigIntegerField(_("events removed"))
    first_kept_seq = models.BigIntegerField(_("first position kept"))
    first_kept_prev_hash = models.CharField(_("hash before the first kept"), max_length=64)
    archive = models.CharField(_("archive file"), max_length=500)
    archive_sha256 = models.CharField(_("archive SHA-256"), max_length=64)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit purge")
        verbose_name_plural = _("audit purges")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.removed} before {self.before:%Y-%m-%d}"


class LoginFailure(models.Model):
    """A failed log-in, kept for throttling and lock-out (the audit trail has it too).

    ``username`` is the user's name in lower case, or ``#`` and a keyed hash when the name typed
    is no one's (it may be a password typed into the wrong box).
    """

    username = models.CharField(_("user name"), max_length=150)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("failed log-in")
        verbose_name_plural = _("failed log-ins")
        indexes = [
            models.Index(fields=["username", "at"], name="loginfail_user_at"),
            models.Index(fields=["ip_address", "at"], name="loginfail_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"


class TotpDevice(models.Model):
    """A staff member's authenticator app (TOTP), the second factor at log-in."""

    user = models.OneToOneField(
        User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="totp"
    )
    secret = models.CharField(_("secret"), max_length=64)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # The last time step accepted: a code is never accepted twice (replay).
    last_step = models.BigIntegerField(_("last step used"), default=0)

    class Meta:
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    def __str__(self) -> str:
        return f"{self.user} ({'confirmed' if self.confirmed_at else 'pending'})"


class IdempotencyKey(models.Model):
    """The first response to an API POST sent with an ``Idempotency-Key`` header.

    Unique per caller and key: a retry of the same request gets the stored response instead
    of creating the thing twice; the same key with a different request is refused.
    """

    caller = models.CharField(_("caller"), max_length=64)  # user:<id>, token or session
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status"))
    content_type = models.CharField(_("content type"), max_length=100)
    body = models.BinaryField(_("body"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_caller_key")
        ]

    def __str__(self) -> str:
        return f"{self.caller[:8]} {self.key}"


class SavedView(models.Model):
    """A named set of a list's filters, columns and sort, kept per user; shared, it is
    offered to everyone in the owner's branch (core.lists)."""

    owner = models.ForeignKey(
        User, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="saved_views"
    )
    list_name = models.CharField(_("list"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    # The list's query string (filters, columns, sort); identifier searches are not kept.
    query = models.TextField(_("query"), blank=True)
    is_shared = models.BooleanField(_("shared with the branch"), default=False)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["list_name", "owner"], name="savedview_list_owner")]

    def __str__(self) -> str:
        return self.name
