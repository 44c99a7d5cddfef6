"""Installation administrators list, add and remove peer registries, and send a refused or given-up
first-transfer notice again; each change is reviewed, then confirmed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.core.checks import CheckFailed
from registry.peers.forms import PeerForm
from registry.peers.keys import SigningKeyMissing, public_key
from registry.peers.models import NoticeState, OutboundNotice, OutboundState, OutboundTransfer
from registry.peers.notices import not_recorded_message, notice_to_resend, resend_notice
from registry.peers.services import add_peer, check_new_peer, get_peer, registered_peers, remove_peer
from registry.refusals import refusal_message


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _notice_id(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("notice", ""))
    except ValueError:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def peers(request: HttpRequest) -> HttpResponse:
    """The peers and this installation's public key; ``action`` ``add`` or ``remove`` reviews first, then confirms."""
    if not request.user.is_superuser:
        log_operation(request.user, Operation.PEERS, outcome="denied", ip=_ip(request))
        raise Http404
    form = PeerForm(request.POST if request.POST.get("action") == "add" else None)
    preview_add = preview_remove = preview_resend = None
    if request.method == "POST":
        confirmed = request.POST.get("confirmed") == "yes"
        try:
            if request.POST.get("action") == "add":
                if not form.is_valid():
                    messages.error(request, _("Please correct the form."))
                elif not confirmed:
                    data = form.cleaned_data
                    registry_id, url, key = check_new_peer(data["registry_id"], data["url"], data["key"])  # refuse early
                    preview_add = {"registry_id": registry_id, "url": url, "key": key}
                else:
                    data = form.cleaned_data
                    peer = add_peer(request.user, data["registry_id"], data["url"], data["key"], ip=_ip(request))
                    messages.success(request, _("Peer %(registry)s is registered.") % {"registry": peer.registry_id})
                    return redirect("peers")
            elif request.POST.get("action") == "resend":
                notice_id = _notice_id(request)
                if not confirmed:
                    preview_resend = notice_to_resend(notice_id)  # refuse early (1522)
                else:
                    notice = resend_notice(request.user, notice_id, ip=_ip(request))
                    messages.success(
                        request,
                        _("The first-transfer notice of transaction %(transaction)s is sent to %(registry)s again.")
                        % {"transaction": notice.transaction_id, "registry": notice.peer.registry_id},
                    )
                    return redirect("peers")
            elif request.POST.get("action") == "remove":
                if not confirmed:
                    preview_remove = get_peer(request.POST.get("registry_id", ""))
                else:
                    peer = remove_peer(request.user, request.POST.get("registry_id", ""), ip=_ip(request))
                    messages.success(request, _("Peer %(registry)s is removed.") % {"registry": peer.registry_id})
                    return redirect("peers")
        except OutboundNotice.DoesNotExist:
            raise Http404 from None
        except CheckFailed as failure:
            # The peer checks' templates are in django.po, so the refusal reads in the user's language.
            messages.error(request, refusal_message(failure))
    try:
        own_key = public_key()
    except SigningKeyMissing:
        own_key = None
    context = {
        "peers": registered_peers().select_related("added_by"),
        "form": form,
        "preview_add": preview_add,
        "preview_remove": preview_remove,
        "preview_resend": preview_resend,
        "own_key": own_key,
        # What the worker still has to settle: an operator sees a peer that stopped answering.
        "waiting": OutboundTransfer.objects.filter(state=OutboundState.PROPOSED)
        .select_related("transaction__registry", "peer")
        .order_by("created_at")[:200],
        # A use of another Party's ITMOs whose first transfer that Party has not recorded yet (or
        # refused, or never answered): why, in the reader's language.
        "notices": [
            (notice, not_recorded_message(notice))
            for notice in OutboundNotice.objects.exclude(state=NoticeState.RECORDED)
            .select_related("transaction__registry", "peer")
            .order_by("created_at")[:200]
        ],
    }
    return render(request, "peers/peers.html", context)
