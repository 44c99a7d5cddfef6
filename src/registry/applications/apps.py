from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.applications"
    verbose_name = _("Applications")
    label = "applications"

    def ready(self) -> None:
        from registry.applications.labels import approval_outcome, summary_lines
        from registry.applications.models import Form
        from registry.notifications.messages import show_parameter

        # Messages about applications carry coded values: the form, what approval did, what was sent.
        show_parameter("form", lambda form: str(Form(form).label))
        show_parameter("outcome", lambda result: approval_outcome(result) if isinstance(result, dict) else str(result))
        show_parameter("summary", lambda pairs: "\n".join(summary_lines(pairs)) if isinstance(pairs, list) else str(pairs))
