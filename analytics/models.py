"""Pre-aggregated figures of the analytics page (reference §7.3) for the national view: at
1,000,000 applications the live aggregates take seconds, the summaries a few milliseconds.

The summaries are rebuilt as a whole (analytics.services.summaries_refresh: every few minutes by
Celery beat, and by `manage.py analytics_refresh`); the page says «данные на» the moment of the last
rebuild. They hold only what the operator's and auditors' views need at the granularity the filters
ask for — region, citizen category, cohort start month — because a key with partner or program
would not compress (each partner has a few hundred applications): narrower scopes (a partner, a
program, partner staff, employment-service reviewers) are computed live, they are small.

Durations are kept as histograms of whole hours with the sum of their seconds (analytics.medians):
a median read from them is exact when the durations in the middle hour are equal, otherwise off by
less than an hour. The live computation reads the same histograms, so both always agree.

No foreign keys: a summary row is a number about other rows, it must not block their deletion.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class SummaryRun(models.Model):
    """The last rebuild of the summaries (a single row, pk 1; also the lock that serialises rebuilds)."""

    built_at = models.DateTimeField(_("построено"), null=True, blank=True)
    seconds = models.FloatField(_("длительность построения, с"), default=0)

    class Meta:
        verbose_name = _("построение сводки аналитики")
        verbose_name_plural = _("построения сводки аналитики")

    def __str__(self):
        return f"{self.built_at:%d.%m.%Y %H:%M}" if self.built_at else "—"


class NationalKey(models.Model):
    """The key of the national summaries: what the operator's filters narrow by."""

    campaign_id = models.IntegerField(_("кампания"))
    region_id = models.CharField(_("регион"), max_length=3, null=True)
    category_id = models.CharField(_("категория граждан"), max_length=40, null=True)
    cohort_month = models.DateField(_("месяц начала потока"), null=True)

    class Meta:
        abstract = True


class HourHistogram(models.Model):
    """One bucket of a duration histogram: the cases of whole `hours`, with the sum of their seconds."""

    hours = models.IntegerField(_("часов"))
    cases = models.PositiveIntegerField(_("случаев"))
    seconds = models.BigIntegerField(_("сумма секунд"))

    class Meta:
        abstract = True


class StatusSummary(NationalKey):
    """Applications per campaign, region, category, cohort start month and status (the funnel)."""

    status = models.CharField(_("статус"), max_length=40)
    applications = models.PositiveIntegerField(_("заявок"))

    class Meta:
        verbose_name = _("сводка заявок по статусам")
        verbose_name_plural = _("сводка заявок по статусам")
        indexes = [models.Index(fields=["campaign_id", "region_id"], name="analytics_status_campaign")]

    def __str__(self):
        return f"{self.status}: {self.applications}"


class EnrolmentTimeSummary(NationalKey, HourHistogram):
    """Histogram of «application filed → enrolment» (the «enrol» history rows) in whole hours."""

    class Meta:
        verbose_name = _("сводка сроков зачисления")
        verbose_name_plural = _("сводка сроков зачисления")
        indexes = [models.Index(fields=["campaign_id", "region_id"], name="analytics_enrol_campaign")]

    def __str__(self):
        return f"{self.hours} ч: {self.cases}"


class DocumentCheckSummary(HourHistogram):
    """Histogram of document check turnaround (upload → check) in whole hours, per partner, and
    (`partner_id` NULL) of all partners together — so the page reads the largest partners' and the
    national histograms by index, a few hundred rows, and the others' as their difference."""

    campaign_id = models.IntegerField(_("кампания"))
    partner_id = models.IntegerField(_("образовательный партнёр"), null=True)

    class Meta:
        verbose_name = _("сводка сроков проверки документов")
        verbose_name_plural = _("сводка сроков проверки документов")
        indexes = [models.Index(fields=["campaign_id", "partner_id"], name="analytics_check_campaign")]

    def __str__(self):
        return f"{self.partner_id or '*'}, {self.hours} ч: {self.cases}"


class DocumentCheckPartner(models.Model):
    """Checked scans per partner (the page's ranking of partners for the document check chart)."""

    campaign_id = models.IntegerField(_("кампания"))
    partner_id = models.IntegerField(_("образовательный партнёр"))
    partner_name = models.CharField(_("партнёр"), max_length=200)
    cases = models.PositiveIntegerField(_("проверено сканов"))

    class Meta:
        verbose_name = _("проверенные сканы партнёра")
        verbose_name_plural = _("проверенные сканы партнёров")
        indexes = [models.Index(fields=["campaign_id", "cases"], name="analytics_check_partner")]

    def __str__(self):
        return f"{self.partner_name}: {self.cases}"
