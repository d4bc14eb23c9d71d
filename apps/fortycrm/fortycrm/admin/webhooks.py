"""Webhooks in the desk (Einstellungen → Webhooks, Administration only): subscriptions, the
secret shown once, the delivery log with "send again", "send a test event"."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from fortycrm import events, webhooks
from fortycrm.admin.forms import add_service_errors
from fortycrm.models import WebhookDelivery, WebhookSubscription


def paused_badge(request) -> str:
    """Sidebar badge: how many webhooks are paused after failures (the desk's notice)."""
    if not request.user.has_perm("fortycrm.view_webhooksubscription"):
        return ""
    count = WebhookSubscription.objects.filter(paused_at__isnull=False).count()
    return str(count) if count else ""


class WebhookForm(forms.ModelForm):
    events = forms.MultipleChoiceField(label=_("events"), choices=(), widget=UnfoldAdminCheckboxSelectMultipleWidget)

    class Meta:
        model = WebhookSubscription
        fields = ["url", "events", "is_active", "description", "filter_status", "filter_tag", "batch_size"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(name, name) for name in events.EVENT_TYPES]
        self.fields["url"].help_text = _("https address of the receiver. The events are POSTed there as JSON, signed as Standard Webhooks specifies.")
        self.fields["filter_status"].help_text = _("Customer events only for customers with this status (optional).")
        self.fields["filter_tag"].help_text = _("Customer events only for customers with this tag (optional).")

    def _post_clean(self):
        super()._post_clean()
        try:
            webhooks.subscription_check(self.instance)
        except ValidationError as exc:  # each problem once: a field Django already refused keeps its message
            add_service_errors(self, ValidationError({k: v for k, v in exc.error_dict.items() if k not in self._errors}))


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ModelAdmin):
    form = WebhookForm
    list_display = ["name", "url", "event_list", "state", "consecutive_failures", "log_link"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    actions = ["send_test", "rotate_secret", "resume"]
    readonly_fields = ["state", "recent_deliveries"]

    def get_fieldsets(self, request, obj=None):
        main = ["url", "events", "is_active", "description", "filter_status", "filter_tag"]
        if obj is None:
            return [(None, {"fields": main})]
        return [(None, {"fields": [*main, "state"]}), (_("Delivery log"), {"fields": ["recent_deliveries"]})]

    @display(description=_("webhook"))
    def name(self, obj: WebhookSubscription):
        return obj.description or f"#{obj.pk}"

    @display(description=_("events"))
    def event_list(self, obj: WebhookSubscription):
        return ", ".join(obj.events or [])

    @display(description=_("state"))
    def state(self, obj: WebhookSubscription):
        if obj.paused_at:
            return gettext("paused after %(count)d failed deliveries in a row (since %(when)s); fix the receiver, then “Resume”") % {
                "count": obj.consecutive_failures, "when": obj.paused_at.strftime("%d.%m.%Y %H:%M")}
        return gettext("active") if obj.is_active else gettext("inactive")

    @display(description=_("delivery log"))
    def log_link(self, obj: WebhookSubscription):
        url = reverse("admin:fortycrm_webhookdelivery_changelist") + f"?subscription__id__exact={obj.pk}"
        return format_html('<a href="{}" class="text-primary-600 underline">{}</a>', url, gettext("Deliveries"))

    @display(description=_("last deliveries"))
    def recent_deliveries(self, obj: WebhookSubscription):
        rows = obj.deliveries.select_related("event").order_by("-id")[:20]
        head = format_html(
            "<tr>{}</tr>", format_html_join("", "<th class='text-left pr-4'>{}</th>", [(gettext("Event"),), (gettext("State"),), (gettext("Answer code"),), (gettext("Duration (ms)"),), (gettext("Attempts"),), (gettext("Last attempt"),)])
        )
        body = format_html_join(
            "", "<tr><td class='pr-4'>{}</td><td class='pr-4'>{}</td><td class='pr-4'>{}</td><td class='pr-4'>{}</td><td class='pr-4'>{}</td><td>{}</td></tr>",
            [(d.event.type, d.get_state_display(), d.response_code or "–", d.duration_ms if d.duration_ms is not None else "–", d.attempts,
              d.last_attempt_at.strftime("%d.%m.%Y %H:%M:%S") if d.last_attempt_at else "–") for d in rows],
        )
        return format_html("<table class='fortycrm-delivery-log'>{}{}</table>{}", head, body, self.log_link(obj))

    def save_model(self, request, obj: WebhookSubscription, form, change):
        try:
            secret = webhooks.subscription_save(subscription=obj)
        except ValidationError as exc:  # checked by the form already; a race must not be a 500
            messages.error(request, " ".join(exc.messages))
            return
        if secret:
            messages.warning(request, self._secret_message(obj, secret))

    @staticmethod
    def _secret_message(obj, secret: str):
        return format_html(
            "{} <code style='user-select:all;font-weight:bold' class='fortycrm-webhook-secret'>{}</code> {}",
            gettext("The signing secret of the webhook “%(name)s” is:") % {"name": obj},
            secret,
            gettext("Copy it now into the receiver: it is not shown again. Receivers verify the “webhook-signature” header with it."),
        )

    def changelist_view(self, request, extra_context=None):
        paused = WebhookSubscription.objects.filter(paused_at__isnull=False).count()
        if paused and request.method == "GET":
            messages.warning(request, gettext("%(count)d webhook(s) are paused after repeated failed deliveries. Their events are kept; select them and choose “Resume” once the receiver works again.") % {"count": paused})
        return super().changelist_view(request, extra_context)

    @action(description=_("Send a test event"), permissions=["change"])
    def send_test(self, request, queryset):
        for sub in queryset:
            webhooks.send_test_event(subscription=sub)
        messages.success(request, gettext("A test event was queued for %(count)d webhook(s); its result appears in the delivery log.") % {"count": queryset.count()})

    @action(description=_("Rotate the secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for sub in queryset:
            secret = webhooks.subscription_rotate_secret(subscription=sub)
            messages.warning(request, self._secret_message(sub, secret))
        messages.info(request, gettext("For 24 hours every event is signed with the old and the new secret."))

    @action(description=_("Resume"), permissions=["change"])
    def resume(self, request, queryset):
        for sub in queryset:
            webhooks.subscription_resume(subscription=sub)
        messages.success(request, gettext("%(count)d webhook(s) resumed; kept events are delivered now.") % {"count": queryset.count()})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ModelAdmin):
    """The delivery log (read only); "send again" as an action."""

    list_display = ["id", "event_type", "subscription", "state", "response_code", "duration_ms", "attempts", "last_attempt_at", "next_attempt_at", "error"]
    list_filter = ["subscription", "state"]
    list_select_related = ["event", "subscription"]
    actions = ["send_again"]
    ordering = ["-id"]

    @display(description=_("event"))
    def event_type(self, obj: WebhookDelivery):
        return obj.event.type

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_again_permission(self, request):
        return request.user.has_perm("fortycrm.change_webhooksubscription")

    @action(description=_("Send again"), permissions=["send_again"])
    def send_again(self, request, queryset):
        for delivery in queryset:
            webhooks.delivery_send_again(delivery=delivery)
        messages.success(request, gettext("%(count)d delivery(ies) will be sent again.") % {"count": queryset.count()})
