"""Parties, their registries, and the reference data units are issued under."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Party(models.Model):
    """A country with a registry in this installation (ISO 3166 codes)."""

    alpha2 = models.CharField(verbose_name=_("alpha-2 code"), max_length=2, unique=True, validators=[RegexValidator(r"^[A-Z]{2}$")])
    alpha3 = models.CharField(verbose_name=_("alpha-3 code"), max_length=3, unique=True, validators=[RegexValidator(r"^[A-Z]{3}$")])
    name = models.CharField(verbose_name=_("name"), max_length=200)
    name_ja = models.CharField(verbose_name=_("name in Japanese"), max_length=200, blank=True)

    class Meta:
        ordering = ["alpha2"]
        verbose_name = _("Party")
        verbose_name_plural = _("Parties")

    def __str__(self) -> str:
        return self.alpha2


class Registry(models.Model):
    """The book of one Party: its own accounts, serial counter, journal and administrators.

    ``next_serial`` is the next serial number this registry issues; ``journal_head`` and
    ``journal_length`` are the head of its hash chain, updated with every journal entry.
    """

    registry_id = models.CharField(
        verbose_name=_("registry ID"), max_length=5, unique=True, validators=[RegexValidator(r"^[A-Z]{3}[0-9]{2}$")]
    )
    party = models.ForeignKey(Party, verbose_name=_("Party"), on_delete=models.PROTECT, related_name="registries")
    name = models.CharField(verbose_name=_("name"), max_length=200)
    next_serial = models.BigIntegerField(verbose_name=_("next serial number"), default=1)
    journal_head = models.CharField(verbose_name=_("head of the journal"), max_length=64, default="0" * 64)
    journal_length = models.BigIntegerField(verbose_name=_("length of the journal"), default=0)
    administrators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("administrators"), blank=True, related_name="administered_registries"
    )
    auditors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("auditors"), blank=True, related_name="audited_registries")
    time_zone = models.CharField(
        verbose_name=_("time zone"), max_length=50, default="Asia/Tokyo", help_text=_("times are shown to users in this zone")
    )
    movements_suspended = models.BooleanField(
        verbose_name=_("movements suspended"), default=False, help_text=_("maintenance or emergency: no user-initiated movement")
    )
    suspension_notice = models.TextField(verbose_name=_("suspension notice"), blank=True)
    # Operating hours for account holders' movements, in the registry's time zone (weekdays 0=Monday).
    open_weekdays = models.CharField(
        verbose_name=_("open weekdays"), max_length=20, blank=True, help_text=_("e.g. 0-4 for Monday to Friday; empty: always open")
    )
    opens_at = models.TimeField(verbose_name=_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(verbose_name=_("closes at"), null=True, blank=True)

    class Meta:
        ordering = ["registry_id"]
        verbose_name = _("registry")
        verbose_name_plural = _("registries")

    def __str__(self) -> str:
        return self.registry_id


class CreditingProgramme(models.Model):
    """JCM, J-Credit, ...: issues units for mitigation projects.

    ``scheme_code`` stands in for the cooperative approach in identifiers of units that are not
    ITMOs (``JC`` for J-Credits).
    """

    code = models.CharField(verbose_name=_("code"), max_length=20, unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=200)
    scheme_code = models.CharField(verbose_name=_("scheme code"), max_length=10)
    international = models.BooleanField(
        verbose_name=_("international"), default=True, help_text=_("Whether its units may be authorised as ITMOs and leave the registry.")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("crediting programme")
        verbose_name_plural = _("crediting programmes")

    def __str__(self) -> str:
        return self.code


class UnitType(models.Model):
    code = models.CharField(verbose_name=_("code"), max_length=20, unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=200)
    programme = models.ForeignKey(
        CreditingProgramme, verbose_name=_("crediting programme"), on_delete=models.PROTECT, related_name="unit_types"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("unit type")
        verbose_name_plural = _("unit types")

    def __str__(self) -> str:
        return self.code


class CooperativeApproach(models.Model):
    """An Article 6.2 arrangement, identified as on the UN platform (``CA`` + 4 digits)."""

    identifier = models.CharField(verbose_name=_("identifier"), max_length=6, unique=True, validators=[RegexValidator(r"^CA[0-9]{4}$")])
    name = models.CharField(verbose_name=_("name"), max_length=200)
    parties = models.ManyToManyField(Party, verbose_name=_("Parties"), related_name="cooperative_approaches")

    class Meta:
        ordering = ["identifier"]
        verbose_name = _("cooperative approach")
        verbose_name_plural = _("cooperative approaches")

    def __str__(self) -> str:
        return self.identifier


class Project(models.Model):
    """A mitigation activity of a programme, registered in one registry."""

    registry = models.ForeignKey(Registry, verbose_name=_("registry"), on_delete=models.PROTECT, related_name="projects")
    identifier = models.CharField(verbose_name=_("project identifier"), max_length=40)
    name = models.CharField(verbose_name=_("name"), max_length=300)
    programme = models.ForeignKey(
        CreditingProgramme, verbose_name=_("crediting programme"), on_delete=models.PROTECT, related_name="projects"
    )
    host_party = models.ForeignKey(Party, verbose_name=_("host Party"), on_delete=models.PROTECT, related_name="hosted_projects")
    cooperative_approach = models.ForeignKey(
        CooperativeApproach,
        verbose_name=_("cooperative approach"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    methodology = models.CharField(verbose_name=_("methodology"), max_length=100, blank=True)
    sector = models.CharField(verbose_name=_("sector"), max_length=100, blank=True)

    class Meta:
        ordering = ["registry", "identifier"]
        constraints = [models.UniqueConstraint(fields=["registry", "identifier"], name="project_unique_per_registry")]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.identifier


class Entity(models.Model):
    """A legal person, domestic or foreign, that holds accounts in one registry."""

    registry = models.ForeignKey(Registry, verbose_name=_("registry"), on_delete=models.PROTECT, related_name="entities")
    name = models.CharField(verbose_name=_("name"), max_length=300)
    name_ja = models.CharField(verbose_name=_("name in Japanese"), max_length=300, blank=True)
    country = models.CharField(verbose_name=_("country"), max_length=2, validators=[RegexValidator(r"^[A-Z]{2}$")])
    identification_number = models.CharField(verbose_name=_("identification number"), max_length=100, blank=True)
    head_office = models.CharField(verbose_name=_("head office"), max_length=500, blank=True)

    class Meta:
        ordering = ["registry", "name"]
        verbose_name = _("entity")
        verbose_name_plural = _("entities")

    def __str__(self) -> str:
        return self.name


class UsePurpose(models.Model):
    """One purpose a programme's units may be retired or cancelled for (a J-Credit nullification's
    用途), as administrators maintain it: reference data, not code.

    ``towards_ndc``: a use for it counts towards the NDC of the country of use. ``domestic_only``:
    the country of use must be the registry's own Party (e.g. CDP/SBT/RE100 reporting of
    renewable energy, which the J-Credit scheme never allows for energy procured abroad).
    ``unit_types``: the credit types it accepts; none listed means every type of the programme.
    """

    programme = models.ForeignKey(
        CreditingProgramme, verbose_name=_("crediting programme"), on_delete=models.PROTECT, related_name="use_purposes"
    )
    code = models.CharField(verbose_name=_("code"), max_length=40, unique=True, validators=[RegexValidator(r"^[a-z0-9-]+$")])
    name = models.CharField(verbose_name=_("name"), max_length=200)
    name_ja = models.CharField(verbose_name=_("name in Japanese"), max_length=200, blank=True)
    towards_ndc = models.BooleanField(verbose_name=_("towards the NDC"), default=False)
    domestic_only = models.BooleanField(verbose_name=_("domestic only"), default=False)
    unit_types = models.ManyToManyField(UnitType, verbose_name=_("unit types"), blank=True, related_name="use_purposes")
    position = models.PositiveSmallIntegerField(verbose_name=_("position"), default=0, help_text=_("order in the list users choose from"))
    active = models.BooleanField(verbose_name=_("active"), default=True, help_text=_("offered for new retirements and cancellations"))

    class Meta:
        ordering = ["programme", "position", "code"]
        verbose_name = _("purpose of use")
        verbose_name_plural = _("purposes of use")

    def __str__(self) -> str:
        return self.code

    def label(self, language: str) -> str:
        return self.name_ja if language == "ja" and self.name_ja else self.name


class NoticeKind(models.TextChoices):
    NEWS = "news", _("What's new")
    MAINTENANCE = "maintenance", _("Scheduled maintenance")


class Notice(models.Model):
    """A notice in both languages; a maintenance notice's window also stops account holders' movements."""

    registry = models.ForeignKey(
        Registry, verbose_name=_("registry"), on_delete=models.CASCADE, null=True, blank=True, related_name="notices"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=NoticeKind.choices, default=NoticeKind.NEWS)
    title_en = models.CharField(verbose_name=_("title in English"), max_length=200)
    title_ja = models.CharField(verbose_name=_("title in Japanese"), max_length=200)
    body_en = models.TextField(verbose_name=_("body in English"), blank=True)
    body_ja = models.TextField(verbose_name=_("body in Japanese"), blank=True)
    published_at = models.DateTimeField(verbose_name=_("published at"))
    starts_at = models.DateTimeField(verbose_name=_("starts at"), null=True, blank=True, help_text=_("maintenance window start"))
    ends_at = models.DateTimeField(verbose_name=_("ends at"), null=True, blank=True, help_text=_("maintenance window end"))

    class Meta:
        db_table = "disclosure_notice"  # made by the disclosure app before the parties app owned it
        ordering = ["-published_at"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.title_ja if get_language() == "ja" and self.title_ja else self.title_en
