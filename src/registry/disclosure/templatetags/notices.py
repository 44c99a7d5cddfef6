from django import template

from registry.disclosure.views import notice_text
from registry.parties.models import Notice

register = template.Library()


@register.simple_tag
def notice_title(notice: Notice) -> str:
    return notice_text(notice)[0]


@register.simple_tag
def notice_body(notice: Notice) -> str:
    return notice_text(notice)[1]
