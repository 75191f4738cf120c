"""Column mapping: which column of the file fills which field, guessed from the header's names
(Chinese or English) and checked when the user chooses by hand."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kefu.customers.models import IdentityKind

MAX_COLUMNS = 100  # columns beyond this are not offered for mapping
CONTACT_FIELDS = ("mobile", "phone", "email", "wechat", "qq", "wangwang")
# The Customer columns a checked row fills (the rest take their defaults).
PROFILE_COLUMNS = (
    "name",
    "gender",
    "mobile",
    "mobile_last4",
    "phone",
    "email",
    "region",
    "city",
    "district",
    "street",
    "address",
    "level",
    "member_no",
    "card_no",
    "source",
    "notes",
)
MULTI_COLUMN_FIELDS = frozenset({*CONTACT_FIELDS, "tags"})  # may come from several columns


@dataclass(frozen=True)
class Column:
    field: str
    label: Promise
    aliases: tuple[str, ...]
    max_length: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        gettext_lazy("Name"),
        (
            "姓名",
            "名字",
            "客户姓名",
            "客户名称",
            "客户名",
            "联系人",
            "name",
            "fullname",
            "customer",
            "customername",
        ),
        60,
    ),
    Column("gender", gettext_lazy("Gender"), ("性别", "gender", "sex")),
    Column(
        "mobile",
        gettext_lazy("Mobile"),
        ("手机", "手机号", "手机号码", "移动电话", "mobile", "mobilephone", "cellphone", "cell"),
    ),
    Column(
        "phone",
        gettext_lazy("Landline"),
        (
            "电话",
            "座机",
            "固话",
            "固定电话",
            "电话号码",
            "联系电话",
            "landline",
            "phone",
            "telephone",
            "tel",
        ),
    ),
    Column(
        "email",
        gettext_lazy("E-mail"),
        ("邮箱", "电子邮件", "电子邮箱", "邮件", "email", "e-mail", "mail"),
    ),
    Column("wechat", gettext_lazy("WeChat"), ("微信", "微信号", "wechat", "weixin")),
    Column("qq", gettext_lazy("QQ"), ("qq", "qq号", "qq号码")),
    Column("wangwang", gettext_lazy("Wangwang"), ("旺旺", "旺旺号", "阿里旺旺", "wangwang")),
    Column(
        "region", gettext_lazy("Province"), ("省", "省份", "省/自治区", "province", "region"), 20
    ),
    Column("city", gettext_lazy("City"), ("市", "城市", "地市", "city"), 30),
    Column(
        "district",
        gettext_lazy("District"),
        ("区", "区县", "县", "区/县", "县区", "district", "county"),
        30,
    ),
    Column(
        "street",
        gettext_lazy("Street"),
        ("街道", "乡镇", "街道/乡镇", "乡镇/街道", "street", "town"),
        40,
    ),
    Column(
        "address",
        pgettext_lazy("customer", "Address"),
        ("地址", "详细地址", "联系地址", "通讯地址", "address"),
        200,
    ),
    Column(
        "level",
        gettext_lazy("Membership level"),
        ("会员等级", "等级", "客户等级", "级别", "level", "membershiplevel"),
    ),
    Column(
        "member_no",
        gettext_lazy("Membership card no."),
        ("会员卡号", "会员号", "会员编号", "membershipcardno", "memberno", "member_no"),
        40,
    ),
    Column(
        "card_no",
        gettext_lazy("Stored-value card no."),
        ("消费卡号", "储值卡号", "储值卡", "消费卡", "stored-valuecardno", "cardno", "card_no"),
        40,
    ),
    Column(
        "source",
        gettext_lazy("Source channel"),
        ("来源", "来源渠道", "渠道", "客户来源", "source", "sourcechannel"),
    ),
    Column("tags", gettext_lazy("Tags"), ("标签", "客户标签", "tags", "tag")),
    Column(
        "notes",
        gettext_lazy("Notes"),
        ("备注", "说明", "notes", "note", "remark", "remarks", "comment"),
        2000,
    ),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
CONTACT_KIND = {
    "mobile": IdentityKind.MOBILE,
    "phone": IdentityKind.PHONE,
    "email": IdentityKind.EMAIL,
    "wechat": IdentityKind.WECHAT,
    "qq": IdentityKind.QQ,
    "wangwang": IdentityKind.WANGWANG,
}
LANGUAGES_READ = ("zh-hans", "en")  # headers and choice words are recognised in both


def header_key(text: str) -> str:
    """手机号码（必填）, ' Mobile * ', 'E-mail:' → comparable keys (手机号码, mobile, e-mail)."""
    key = unicodedata.normalize("NFKC", str(text)).strip().lower()
    for marker in ("(必填)", "(选填)", "*", ":"):
        key = key.replace(marker, "")
    return "".join(key.split())


def alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for column in COLUMNS:
        names = list(column.aliases)
        for language in LANGUAGES_READ:
            with translation.override(language):
                names.append(str(column.label))
        for name in names:
            table.setdefault(header_key(name), column.field)
    return table


def guess_mapping(header: list[str]) -> dict[str, str]:
    """{column index: field} from the header's names (Chinese or English). A field that takes one
    column is given to the first column that names it; contact points and tags may come from several
    columns (手机1, 手机2)."""
    table = alias_table()
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, text in enumerate(header[:MAX_COLUMNS]):
        key = header_key(text)
        target = table.get(key) or table.get(key.rstrip("0123456789"))
        if target is None or (target in used and target not in MULTI_COLUMN_FIELDS):
            continue
        mapping[str(index)] = target
        used.add(target)
    return mapping


def mapping_problem(mapping: dict[str, str]) -> str | None:
    """Why the mapping cannot be checked, or None."""
    counts: dict[str, int] = defaultdict(int)
    for index, target in mapping.items():
        if not str(index).isdigit() or int(index) >= MAX_COLUMNS:
            return _("Unknown column.")
        if target not in COLUMN_BY_FIELD:
            return _("Unknown field “%(field)s”.") % {"field": str(target)[:40]}
        counts[target] += 1
    for target, count in counts.items():
        if count > 1 and target not in MULTI_COLUMN_FIELDS:
            return _("“%(field)s” is chosen for more than one column; choose it once.") % {
                "field": COLUMN_BY_FIELD[target].label
            }
    if "name" not in counts:
        return _("No column holds the name. Choose the name column below and check again.")
    if not any(f in counts for f in CONTACT_FIELDS):
        return _(
            "No column holds a contact point (mobile, landline, e-mail, WeChat, QQ or Wangwang). "
            "Choose one below and check again."
        )
    return None
