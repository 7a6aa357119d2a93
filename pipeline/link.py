"""Link stage: resolve mentions across bulletins and documents into corpus-wide nodes.

- Units: one node per organisation, whatever the spelling (中共…工作委员会 = …工委, the
  province prefix, 高新技术产业开发区 = 高新区, ``(以下简称新区)`` aliases); anonymised mentions
  (某国企) are one node per bulletin and wording, never merged across bulletins.
- Policies: one node per policy across the corpus. Title variants (with or without the
  issuer's name or 关于, full-width or half-width brackets) share a node within one issuing
  organisation; a title that merely contains another's is a different policy. Titles that are
  not the unit's own rules (books, journals, upper-level regulations, bulletins, forms) become
  cited works, keyed across the whole corpus (a short form of a regulation's name included).
- People: one node per name within one organisation family, with every role printed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .records import DocumentResult, Extraction, PolicyMention, Span, stable_id

PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
    "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)
RULE_SUFFIX = re.compile(
    r"(办法|制度|规定|方案|细则|规则|意见|指引|清单|计划|要点|通知|标准|文本|台账|规划|政策|机制|流程图|体系|守则|规范|措施|模板|项目库|安排|工作法|指南|实施办法)(\(试行\))?$"
)


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s).replace(" ", "").replace("\u3000", "")


# --- units -----------------------------------------------------------------------------------


def unit_key(name: str, aliases: dict[str, str] | None = None) -> str:
    """A normalised key under which spellings of one organisation meet."""
    return _unit_key(name, tuple(sorted(aliases.items(), key=lambda kv: (-len(kv[0]), kv[0]))) if aliases else ())


@lru_cache(maxsize=1 << 16)  # the same names recur in every bulletin of a family
def _unit_key(name: str, aliases: tuple[tuple[str, str], ...]) -> str:
    k = nfkc(name)
    if k.startswith("中共") or k.startswith("中国共产党"):
        k = k[2:] if k.startswith("中共") else k[5:]
    for short, full in aliases:
        if k == short or (k.startswith(short) and not k.startswith(full)):
            k = full + k[len(short):]
            break
    k = k.replace("工作委员会", "工委").replace("高新技术产业开发区", "高新区").replace("经济技术开发区", "经开区")
    k = k.replace("委员会", "委")
    for p in PROVINCES:
        if k.startswith(p) and len(k) - len(p) >= 4 and not k[len(p):].startswith(("省", "市", "委")):
            k = k[len(p):]
            break
    # a department of a party working committee: 湘江新区工委组织工作部 = 湘江新区组织工作部
    k = re.sub(r"(党工委|工委|党委)(?=[一-龥]{2,8}(部|局|办|室|领导小组)$)", "", k)
    return k


@dataclass
class UnitNode:
    id: str
    key: str
    names: Counter = field(default_factory=Counter)
    anonymised: bool = False
    spans: list[Span] = field(default_factory=list)

    @property
    def label(self) -> str:
        return max(self.names, key=lambda n: (len(n), self.names[n], n)) if self.names else self.key

    @property
    def alt_labels(self) -> list[str]:
        return sorted(n for n in self.names if n != self.label)


# --- policies --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _cited_gazetteer() -> tuple[dict[str, tuple[str, str]], list[tuple[str, re.Pattern]]]:
    root = resources.files("pipeline.data")
    gaz: dict[str, tuple[str, str]] = {}
    for line in (root / "cited_works.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            for t in [r["title"], *r["aliases"]]:
                gaz[nfkc(t)] = (nfkc(r["title"]), r["kind"])
    kinds = []
    for line in (root / "cited_kinds.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            kinds.append((r["kind"], re.compile(r["pattern"])))
    return gaz, kinds


@dataclass
class PolicyNode:
    id: str
    key: tuple
    cls: str = "Policy"  # Policy or CitedWork
    work_kind: str = ""
    titles: Counter = field(default_factory=Counter)
    mentions: list[PolicyMention] = field(default_factory=list)

    canonical: str = ""  # a gazetteer's full name for a cited work known by short forms

    @property
    def label(self) -> str:
        if self.canonical:
            return self.canonical
        return max(self.titles, key=lambda t: (self.titles[t], len(t), t))

    @property
    def alt_labels(self) -> list[str]:
        return sorted(t for t in self.titles if t != self.label)

    @property
    def actions(self) -> list[str]:
        return sorted({m.verb for m in self.mentions if m.relation == "establishes" and m.verb})


def _core_title(title: str, own_names: list[str]) -> str:
    t = nfkc(title).strip("“”\"")
    changed = True
    while changed:
        changed = False
        if t.startswith("关于") and len(t) > 4:
            t, changed = t[2:], True
        for name in own_names:
            if name and t.startswith(name) and len(t) - len(name) >= 4:
                t, changed = t[len(name):], True
                break
    return t


def _cited_kind(title: str, m: PolicyMention, text: str) -> str:
    """The kind of cited work a title is by its own shape and context, or ''."""
    gaz, kinds = _cited_gazetteer()
    t = nfkc(title)
    if t in gaz:
        return gaz[t][1]
    after = text[m.span.end + 1:m.span.end + 4] if m.span.end + 1 <= len(text) else ""
    if after.startswith("杂志"):
        return "journal"
    before = text[max(0, m.span.start - 6):m.span.start]
    if "发表的" in before:
        return "article"
    for kind, pat in kinds:
        if pat.search(t):
            return kind
    return ""


# --- people ----------------------------------------------------------------------------------


@dataclass
class PersonNode:
    id: str
    name: str
    roles: list[tuple[str, Span]] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    unit_id: str = ""
    leads: set = field(default_factory=set)


# --- the linked corpus -----------------------------------------------------------------------


@dataclass
class Linked:
    results: list[DocumentResult]
    units: dict[str, UnitNode]
    unit_ref: dict[tuple[str, str], str]  # (owner id, name as printed) -> unit id
    policies: dict[str, PolicyNode]
    policy_ref: dict[tuple[str, int], str]  # (doc id, title start) -> policy id
    people: dict[str, PersonNode]
    inspected_ref: dict[str, str]  # bulletin id -> inspected unit id
    feedback_ref: dict[str, str]  # bulletin id -> unit the feedback went to
    issuer_ref: dict[str, str]  # bulletin id -> issuer unit id

    @property
    def extractions(self) -> list[Extraction]:
        return [e for r in self.results for e in r.extractions]


def link(results: list[DocumentResult]) -> Linked:
    units: dict[str, UnitNode] = {}
    unit_ref: dict[tuple[str, str], str] = {}
    inspected_ref: dict[str, str] = {}
    feedback_ref: dict[str, str] = {}
    issuer_ref: dict[str, str] = {}

    def add_unit(key: str, name: str, span: Span | None, owner: str, anonymised: bool = False) -> str:
        uid = stable_id("unit", key)
        node = units.get(uid)
        if node is None:
            node = units[uid] = UnitNode(uid, key, anonymised=anonymised)
        node.names[name] += 1
        if span is not None and span not in node.spans:
            node.spans.append(span)
        unit_ref[(owner, name)] = uid
        return uid

    people: dict[str, PersonNode] = {}
    policy_groups: dict[tuple, PolicyNode] = {}
    policy_ref: dict[tuple[str, int], str] = {}
    pending: list[tuple[PolicyMention, str, list[str], str]] = []

    for res in results:
        doc = res.source
        aliases: dict[str, str] = {}
        for e in res.extractions:
            ins = e.inspection
            if ins and ins.inspected_alias:
                full = _alias_target(doc.text, ins)
                if full:
                    aliases[ins.inspected_alias] = nfkc(full)
        family = unit_key(res.extractions[0].bulletin.issuer, aliases) if res.extractions else doc.id
        own_names: set[str] = set()
        for e in res.extractions:
            b = e.bulletin
            for u in e.units:
                if u.role == "self":
                    continue  # resolved below, once the bulletin's inspected unit is known
                if u.anonymised:
                    add_unit(f"anon|{b.id}|{nfkc(u.name)}", u.name, u.span, u.owner, anonymised=True)
                    continue
                uid = add_unit(unit_key(u.name, aliases), u.name, u.span, u.owner)
                if u.role == "issuer":
                    issuer_ref[b.id] = uid
            ins = e.inspection
            if ins:
                if ins.inspected:
                    inspected_ref[b.id] = add_unit(unit_key(ins.inspected, aliases), ins.inspected, ins.inspected_span, b.id)
                if ins.feedback_to:
                    feedback_ref[b.id] = add_unit(unit_key(ins.feedback_to, aliases), ins.feedback_to, ins.feedback_to_span, b.id)
                for n in (ins.inspected, ins.inspected_alias):
                    if n:
                        own_names.add(nfkc(n))
            for u in e.units:
                if u.role != "self":
                    continue
                # 园区 in a park's own bulletin is that park; 新区 is what (以下简称新区) names
                target = aliases.get(u.name)
                if target is None and u.name == "园区" and ins is not None and _is_park(ins.inspected):
                    target = ins.inspected
                if target:
                    uid = add_unit(unit_key(target, aliases), target, None, u.owner)
                    unit_ref[(u.owner, u.name)] = uid
                    units[uid].names[u.name] += 1
                    units[uid].spans.append(u.span)
            if b.issuer:
                own_names.add(nfkc(b.issuer))
            for p in e.people:
                pid = stable_id("person", family, p.name)
                node = people.setdefault(pid, PersonNode(pid, p.name))
                if p.role not in [r for r, _ in node.roles]:
                    node.roles.append((p.role, p.role_span))
                node.spans.append(p.span)
                if not node.unit_id and b.id in issuer_ref:
                    node.unit_id = issuer_ref[b.id]
                if _leads(doc.text, p, b):
                    node.leads.add(b.id)
        # every spelling of the family's own names, short forms too, for stripping title prefixes
        names = set(own_names)
        for n in list(own_names):
            for v in (unit_key(n, aliases), n.removeprefix("中共")):
                names.add(v)
        names |= set(aliases) | set(aliases.values())
        names = sorted((n for n in names if len(n) >= 2), key=lambda n: (-len(n), n))
        for e in res.extractions:
            for m in e.policies:
                pending.append((m, family, names, doc.text))

    # decide Policy or CitedWork per title group, then merge
    establishes_keys = set()
    keyed = []
    for m, family, names, text in pending:
        kind = _cited_kind(m.title, m, text)
        gaz, _ = _cited_gazetteer()
        if kind:
            canon = gaz.get(nfkc(m.title), (nfkc(m.title), kind))[0]
            key = ("cited", canon)
        else:
            key = ("policy", family, _core_title(m.title, names))
            if m.relation == "establishes":
                establishes_keys.add(key)
        keyed.append((key, kind, m))
    for key, kind, m in keyed:
        if key[0] == "policy" and key not in establishes_keys:
            owned = _core_title(m.title, []) != key[2] or m.prefix_unit
            if m.relation == "cites" and not owned:
                kind = "regulation" if re.search(r"(规定|条例|准则|措施|办法)(\(试行\))?$", nfkc(m.title)) else "document"
                key = ("cited", nfkc(m.title))
            elif m.relation == "mentions" and not RULE_SUFFIX.search(nfkc(m.title)):
                kind = "document"
                key = ("cited", nfkc(m.title))
        node = policy_groups.get(key)
        if node is None:
            cls = "CitedWork" if key[0] == "cited" else "Policy"
            node = policy_groups[key] = PolicyNode(stable_id("policy" if cls == "Policy" else "work", *key), key, cls, kind)
            gaz, _ = _cited_gazetteer()
            if key[0] == "cited" and key[1] in {v[0] for v in gaz.values()}:
                node.canonical = key[1]
        node.titles[m.title] += 1
        node.mentions.append(m)
        policy_ref[(m.span.doc_id, m.span.start)] = node.id
    policies = {n.id: n for n in policy_groups.values()}
    return Linked(results, units, unit_ref, policies, policy_ref, people, inspected_ref, feedback_ref, issuer_ref)


def _is_park(name: str) -> bool:
    return any(w in name for w in ("高新区", "园区", "开发区", "经开区", "科技园", "产业园"))


def _alias_target(text: str, ins) -> str:
    """The name a ``(以下简称X)`` stands for: the words right before the parenthesis."""
    op = ins.span.exact
    i = op.find("以下简称" + ins.inspected_alias)
    if i < 1:
        return ""
    j = op.rfind("对", 0, i)
    return op[j + 1:i - 1] if j >= 0 else ""


def _leads(text: str, p, b) -> bool:
    """Whether the person leads the rectification: the paragraph starts with them, or names
    them first in a paragraph about the 第一责任人 (first responsible person)."""
    ls = text.rfind("\n", 0, p.role_span.start) + 1
    le = text.find("\n", p.span.end)
    para = text[ls: le if le >= 0 else len(text)]
    if p.role_span.start == ls:
        return True
    first = re.search(r"同志", para)
    return "第一责任人" in para and first is not None and ls + first.start() == p.span.end
