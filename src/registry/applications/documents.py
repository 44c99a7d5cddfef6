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
    """The notice of a retirement (a J-Credit nullification) or cancellation: registry and programme
    by name, the declared use, whether it counts towards an NDC and is adjusted, every block's
    unique identifier. Long text wraps within the page (Japanese between any two characters)."""
    from django_countries import countries

    from registry.article6.models import CorrespondingAdjustment
    from registry.parties.models import CreditingProgramme
    from registry.units.models import UnitBlock

    blocks = list(tx.blocks.all())
    # Units retired or cancelled never move again: the final account still holds every serial.
    programmes: dict[str, CreditingProgramme] = {}
    for b in blocks:
        held = UnitBlock.objects.filter(originating_registry=b.originating_registry, start__lte=b.start, end__gte=b.start)
        for block in held.select_related("unit_type__programme"):
            programmes[block.unit_type.programme.code] = block.unit_type.programme
    programmes_list = [programmes[code] for code in sorted(programmes)]
    names = ", ".join(p.name for p in programmes_list) or "-"
    is_jcredit = bool(programmes_list) and all(not p.international for p in programmes_list)
    if tx.type == "retirement" and is_jcredit:
        title = "J-クレジット無効化通知書 Notice of J-Credit nullification"
    elif tx.type == "retirement":
        title = "償却通知書 Notice of retirement"
    else:
        title = "取消通知書 Notice of cancellation"
    purpose = tx.use_purpose
    adjusted = CorrespondingAdjustment.objects.filter(transaction=tx).exists()
    country = tx.use_country or (tx.using_party.alpha2 if tx.using_party else "")
    rows = [
        ("登録簿 Registry", f"{tx.registry.name} ({tx.registry.registry_id})"),
        ("制度 Programme", names),
        ("取引番号 Transaction", str(tx.pk)),
        ("種別 Type", f"{tx.get_type_display()}"),
        ("完了日時 Completed", f"{timezone.localtime(tx.completed_at):%Y-%m-%d %H:%M %Z}" if tx.completed_at else "-"),
        ("口座 From account", f"{tx.from_account} {tx.from_account.name}" if tx.from_account else "-"),
        ("数量 Quantity (tCO2e)", f"{tx.quantity:,}"),
        ("用途 Purpose", f"{purpose.name_ja} / {purpose.name}" if purpose else (tx.purpose or "-")),
        *(
            [("取消の種類 Cancellation kind", str(tx.get_cancellation_kind_display())), ("OIMPの目的 OIMP purpose", tx.oimp_purpose or "-")]
            if tx.cancellation_kind
            else []
        ),
        ("詳細な目的 Detailed aim", tx.aim or "-"),
        (
            "使用者 Credit user",
            tx.credit_user or (tx.using_entity.name if tx.using_entity else (tx.from_account.name if tx.from_account else "-")),
        ),
        ("使用国 Country of use", f"{countries.name(country)} ({country})" if country else "-"),
        ("NDCへの算入 Towards an NDC", ("はい Yes" + (f" ({tx.ndc_year})" if tx.ndc_year else "")) if tx.towards_ndc else "いいえ No"),
        ("相当調整 Corresponding adjustment", "あり Applies" if adjusted else "なし Does not apply"),
    ]
    lines = ["固有識別子 Unique identifiers:"] + [f"{b.identifier}  ({b.quantity:,})" for b in blocks]
    return _wrapped_document(title, f"{tx.registry.name} ({tx.registry.registry_id}) · {names}", rows, lines)


def _wrapped_document(title: str, subtitle: str, rows: Sequence[tuple[str, str]], lines: Sequence[str]) -> bytes:
    """Like ``_document``, with every value wrapped in a paragraph so that nothing runs off the page."""
    from xml.sax.saxutils import escape

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    def style(size: float) -> ParagraphStyle:
        return ParagraphStyle(f"s{size}", fontName=FONT, fontSize=size, leading=size * 1.4, wordWrap="CJK")

    buffer = io.BytesIO()
    issued = f"発行日 Issued {timezone.localtime():%Y-%m-%d %H:%M %Z}"
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm, title=title
    )
    table = Table(
        [[Paragraph(escape(label), style(8.5)), Paragraph(escape(value), style(10))] for label, value in rows],
        colWidths=[55 * mm, 115 * mm],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    story = [Paragraph(escape(title), style(15)), Paragraph(escape(subtitle), style(10.5)), Spacer(1, 6 * mm), table, Spacer(1, 5 * mm)]
    story += [Paragraph(escape(line), style(9.5)) for line in lines]
    story += [Spacer(1, 6 * mm), Paragraph(escape(issued), style(8))]
    document.build(story)
    return buffer.getvalue()
