"""PDF documents in Japanese and English: the certificate of account information (Form 3) and the
notice of a retirement or cancellation (purpose, using entity, the blocks' unique identifiers)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from registry.accounts.models import Account
from registry.transactions.models import Transaction

FONT = "HeiseiKakuGo-W5"  # reportlab's built-in Japanese CID font: nothing to download or ship
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _document(title: str, subtitle: str, rows: Sequence[tuple[str, str]], lines: Sequence[str] = ()) -> bytes:
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.setTitle(title)
    _width, height = A4
    y = height - 25 * mm
    pdf.setFont(FONT, 16)
    pdf.drawString(20 * mm, y, title)
    y -= 8 * mm
    pdf.setFont(FONT, 11)
    pdf.drawString(20 * mm, y, subtitle)
    y -= 12 * mm
    for label, value in rows:
        pdf.setFont(FONT, 9)
        pdf.drawString(20 * mm, y, label)
        pdf.setFont(FONT, 11)
        pdf.drawString(80 * mm, y, value)
        y -= 7 * mm
    for line in lines:
        if y < 20 * mm:
            pdf.showPage()
            y = height - 20 * mm
        pdf.setFont(FONT, 10)
        pdf.drawString(20 * mm, y, line)
        y -= 6 * mm
    pdf.setFont(FONT, 8)
    pdf.drawString(20 * mm, 12 * mm, f"発行日 Issued {timezone.localtime():%Y-%m-%d %H:%M %Z}")
    pdf.save()
    return buffer.getvalue()


def account_certificate(account: Account, reference: str) -> bytes:
    entity = account.entity
    rows = [
        ("口座番号 Account number", account.number),
        ("口座名義 Account holder", account.name),
        ("口座種別 Type of account", str(account.get_type_display())),
        ("状態 Status", str(account.get_status_display())),
        ("開設日 Opened", f"{timezone.localtime(account.opened_at):%Y-%m-%d}"),
        ("登録簿 Registry", f"{account.registry.name} ({account.registry.registry_id})"),
    ]
    if entity is not None:
        rows += [
            ("法人名 Entity", entity.name + (f" / {entity.name_ja}" if entity.name_ja else "")),
            ("本店所在地 Head office", entity.head_office),
            ("国 Country", entity.country),
        ]
    rows.append(("申請番号 Application", reference))
    return _document("口座情報証明書 Certificate of account information", account.registry.name, rows)


def use_notice(tx: Transaction) -> bytes:
    """The notice of a retirement or cancellation, listing every block by its unique identifier."""
    rows = [
        ("取引番号 Transaction", str(tx.pk)),
        ("種別 Type", f"{tx.get_type_display()}"),
        ("完了日時 Completed", f"{timezone.localtime(tx.completed_at):%Y-%m-%d %H:%M %Z}" if tx.completed_at else "-"),
        ("口座 From account", str(tx.from_account)),
        ("数量 Quantity (tCO2e)", f"{tx.quantity:,}"),
        ("目的 Purpose", tx.purpose or "-"),
        *(
            [("取消の種類 Cancellation kind", str(tx.get_cancellation_kind_display())), ("OIMPの目的 OIMP purpose", tx.oimp_purpose or "-")]
            if tx.cancellation_kind
            else []
        ),
        ("使用者 Using entity", tx.using_entity.name if tx.using_entity else (tx.from_account.name if tx.from_account else "-")),
        ("使用国 Using Party", tx.using_party.name if tx.using_party else "-"),
        ("NDCへの算入 Towards the NDC", ("はい Yes" + (f" ({tx.ndc_year})" if tx.ndc_year else "")) if tx.towards_ndc else "いいえ No"),
    ]
    lines = ["固有識別子 Unique identifiers:"] + [f"  {b.identifier}  ({b.quantity:,})" for b in tx.blocks.all()]
    return _document("償却・取消通知書 Notice of retirement or cancellation", tx.registry.name, rows, lines)
