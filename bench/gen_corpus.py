"""Deterministic generator of synthetic rectification bulletins, for benchmarking the build.

usage: python bench/gen_corpus.py N OUT_DIR [--seed S]
       (or ``generate(n, out, seed)``, which returns the manifest)

Writes ``OUT_DIR/bulletins/synthetic-00001.txt`` … (UTF-8, one file per bulletin; about one
file in eight also carries one or two 附件 attachments, as the sample does) and
``OUT_DIR/manifest.json``, and prints a one-line summary. The first line of every file is
:data:`MARKER`, saying that it is synthetic. Build the corpus from the bulletins folder
(``xunshi build OUT_DIR/bulletins``, ``run_build([out / "bulletins"], …)``): it holds the
bulletins only, so the manifest is never met as an input (no E004). Paths in the manifest
(``bulletins/synthetic-00001.txt``, also in ``links``) are relative to ``OUT_DIR``, the folder
holding the manifest.

Punctuation, one choice per file (main bulletin and attachments alike; :data:`WIDTHS`): about
60 % of the files print full-width punctuation throughout (``，：；（）``: commas, colons,
semicolons, ``（一）``, ``整改结果：``, ``（已完成）``), as most bulletins published online do,
a sixth of them (about 10 % of all) with full-width digits in the numbering too (``１２．``,
``问题１２：``, ``（１）``); the rest print ASCII ``, : ; ( )`` as the sample does. The marker
line is the same in every file. The manifest gives each file's ``width`` (``ascii``,
``fullwidth``, ``fullwidth-digits``) and their totals.

The same N and seed give byte-identical output: every random choice comes from a
``random.Random`` seeded with a string (SHA-512 seeding, independent of PYTHONHASHSEED);
nothing reads the clock or iterates a set. 10,000 files (about 134 MB) take about 15 seconds.

What the texts are made of (see ``../shared/domain.md``, ``corpus/`` and
``tests/fixtures/rounds/``): the sample's structure and phrasing, recombined.

- **units**: a few hundred fictional places (a rare character and a common one: 蘅溪, 芷冈 …;
  each is a 县, 区 or 市 once for all) × departments, towns and streets, whole counties, parks,
  state-owned companies, hospitals and schools; one issuer per unit. A unit has one to four
  bulletins in different years (2018–2025), each answering its own round of inspection
  (县委/区委/市委 巡察, 省委 巡视; teams, dates, kinds and rounds vary).
- **a bulletin**: the title on one or two lines, an opening naming the inspection (team,
  period, feedback date; sometimes the round, an alias and a summary of counts that matches the
  statuses, the total now and then after the number of aspects: ``反馈问题4个方面25个``,
  ``反馈意见4个方面25个问题``), 一、组织整改落实情况 (meetings, a leader named with role and
  同志), 二、…已完成的整改事项 with feedback categories and problems, sometimes
  三、…未完成或需长期坚持的整改事项, plans, a contact line and the signature. Numbering styles
  per bulletin: ``1.``/``1、``/``1．`` under ``(一)反馈问题:…``, ``(一)在…方面``, ``(一)关于…``;
  restarting per category; ``问题N:``; ``1.问题N:``; ``(一)问题N:``; ``(一)反馈问题:…`` as a
  category that is one problem; a statement may open with a year right after the number
  (``12、2019年…``, ``12.2019年…``). Statuses: ``整改结果:`` (or 完成情况/整改进展/整改状态)
  before or after the measures, a bracket after the problem, a bare line, or a phrase in the
  measures, in the words of ``pipeline/data/status.jsonl`` (:data:`STATUS_LINE_WORDS`; 持续推进
  among the InProgress ones); sub-items ``(1)``/``(2)`` with their own measures; measure lists
  under an empty label; measures enumerated 一是…二是… (with or without short heads) or not,
  naming policies in 《》 with a verb and figures in 万元/个/项/人次/%.
- **problems** come from a shared pool of themes (三转, 四风, 招商引资重招轻管, 财政资金, 形式主义
  …; :data:`THEMES`), each with statement templates, details, measures (tied to the templates)
  and policy titles; a mini template language (``[a|b]`` one alternative, ``{slot}`` a slot)
  varies wording and figures; each unit draws from its own subset of themes.
- **near-duplicates**: a unit's later round restates a share of its earlier problems: the same
  statement template and fixed slots, most earlier wording alternatives kept, figures, leading
  dates, details, clause order and measures drawn again, and a recurrence clause naming the
  earlier round (2019年县委巡察指出的“…”问题整改不彻底, 上轮…, 均存在此问题, 才阶段性完成整改
  …). Attachments restate one or two problems of their main bulletin. Problems that are not
  restatements use statement templates their unit has not printed before. The manifest gives
  each problem an issue ``family`` (restatements share their original's) and lists each
  restatement under ``links`` as ``[position, earlier path, earlier position, kind]`` (kind
  ``round``, ``attachment``, or ``round-theme``: the same theme told by another statement, a new
  family).
- No two problem statements of one corpus are byte-identical (checked while generating; a
  statement met before gets other figures, and from the fourth try a clause of specifics).

Patterns the segmenter does not take, which the generator therefore never writes:

- status words missing from ``pipeline/data/status.jsonl`` (they give W012);
- a statement starting with a number that is not a year after a numbering point
  (``23.24小时…``: read as a decimal, not as problem 23); no statement starts with a digit
  unless it is a year (checked when the module loads);
- an empty measures label with a ``(1)``/``1.`` list *before* the status line: problem N right
  after a list of N−1 measures is read as measure N; such lists come only after the status;
- numbering that continues from section 二 into 三 (W013): it restarts at 1 in each section;
- a first line of at most 40 characters above a one-line title (it would be the issuer): the
  marker line is longer.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

GENERATOR = "bench/gen_corpus.py"
VERSION = "2.0"
MARKER = "【合成数据】本文件由 bench/gen_corpus.py 自动生成,仅供性能测试使用,所涉单位、人员、数字和内容均为虚构,不代表任何真实单位。"
STATUS_KEYS = ("Completed", "PartiallyCompleted", "NotCompleted", "InProgress", "LongTerm", "Unknown")
FILE_RE = re.compile(r"^synthetic-\d{5,}\.txt$")
BULLETIN_DIR = "bulletins"  # OUT_DIR/bulletins/ holds the bulletins, OUT_DIR/manifest.json the manifest

# Widths of a file's punctuation, one per file (main bulletin and attachments alike), with
# their shares: ASCII ``, : ; ( )`` as in the sample; full-width ``， ： ； （ ）`` throughout
# (as most bulletins published online print them), numbering digits ASCII; the same with
# full-width digits in the numbering too (``１２．``, ``问题１２：``, ``（１）``).
WIDTHS = (("ascii", 40), ("fullwidth", 50), ("fullwidth-digits", 10))
_WIDE_PUNCT = tuple(zip(",:;()!?", "\uff0c\uff1a\uff1b\uff08\uff09\uff01\uff1f"))


def _wide(text: str) -> str:
    """``text`` with its ASCII ``, : ; ( ) ! ?`` in full-width (str.replace: a hundred times
    faster than str.translate on Chinese text)."""
    for a, b in _WIDE_PUNCT:
        text = text.replace(a, b)
    return text
_WIDE_DIGITS = str.maketrans("0123456789", "".join(chr(0xFF10 + i) for i in range(10)))


# ----------------------------------------------------------------------------- templates
#
# A template is text with ``{slot}`` (filled from a dict: a string, or a callable taking the
# Random) and ``[a|b|c]`` (one alternative, each may hold slots; no nesting). Templates are
# parsed once and cached.

_PARSED: dict[str, tuple] = {}


def _parse_plain(s: str) -> tuple:
    out: list = []
    i = 0
    while i < len(s):
        j = s.find("{", i)
        if j < 0:
            out.append(s[i:])
            break
        if j > i:
            out.append(s[i:j])
        k = s.index("}", j)
        out.append((s[j + 1:k],))
        i = k + 1
    return tuple(out)


def _parse(s: str) -> tuple:
    p = _PARSED.get(s)
    if p is not None:
        return p
    out: list = []
    i = 0
    while i < len(s):
        j = s.find("[", i)
        if j < 0:
            out.extend(_parse_plain(s[i:]))
            break
        if j > i:
            out.extend(_parse_plain(s[i:j]))
        k = s.index("]", j)
        out.append([_parse_plain(alt) for alt in s[j + 1:k].split("|")])
        i = k + 1
    p = _PARSED[s] = tuple(out)
    return p


def _fill(parts, rng: random.Random, slots: dict) -> str:
    buf = []
    for part in parts:
        if type(part) is str:
            buf.append(part)
        elif type(part) is tuple:
            v = slots[part[0]]
            buf.append(v if type(v) is str else v(rng))
        else:
            buf.append(_fill(part[rng.randrange(len(part))], rng, slots))
    return "".join(buf)


def expand(tpl: str, rng: random.Random, slots: dict) -> str:
    return _fill(_parse(tpl), rng, slots)


def expand_like(tpl: str, rng: random.Random, slots: dict, prior: list[int] | None, keep: float) -> tuple[str, list[int]]:
    """``expand``, also returning the alternatives taken; with ``prior`` (the alternatives of an
    earlier expansion of the same template) each one is kept with probability ``keep``: how a
    restatement keeps most of the earlier wording."""
    buf, taken = [], []
    prior_it = iter(prior or ())
    for part in _parse(tpl):
        if type(part) is str:
            buf.append(part)
        elif type(part) is tuple:
            v = slots[part[0]]
            buf.append(v if type(v) is str else v(rng))
        else:
            before = next(prior_it, None)
            i = before if before is not None and before < len(part) and rng.random() < keep else rng.randrange(len(part))
            taken.append(i)
            buf.append(_fill(part[i], rng, slots))
    return "".join(buf), taken


def slot_names(tpl: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", tpl))


# ----------------------------------------------------------------------------- numbers

CN = "零一二三四五六七八九"


def cn_num(n: int) -> str:
    """1..99 as printed in headings: 1 → 一, 14 → 十四, 40 → 四十."""
    if n < 10:
        return CN[n]
    if n < 20:
        return "十" + (CN[n % 10] if n % 10 else "")
    return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")


def _amount(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        return f"{rng.randint(1, 99)}.{rng.randint(1, 9)}"
    if r < 0.7:
        return str(rng.randint(12, 980))
    return f"{rng.randint(100, 4800)}.{rng.randint(10, 99)}"


def _pct(rng: random.Random) -> str:
    return f"{rng.randint(41, 97)}.{rng.randint(0, 99):02d}" if rng.random() < 0.6 else str(rng.randint(40, 96))


def _pct_lo(rng: random.Random) -> str:
    return f"{rng.randint(2, 38)}.{rng.randint(1, 9)}"


NUMBER_SLOTS = {
    "n": lambda r: str(r.randint(2, 29)),
    "n2": lambda r: str(r.randint(11, 96)),
    "big": lambda r: str(r.randint(120, 2900)),
    "amt": _amount,
    "amt_s": lambda r: f"{r.randint(0, 19)}.{r.randint(1, 99):02d}".rstrip("0"),
    "pct": _pct,
    "pct_lo": _pct_lo,
    "acre": lambda r: f"{r.randint(3, 240)}.{r.randint(1, 99):02d}" if r.random() < 0.5 else str(r.randint(5, 400)),
    "k": lambda r: str(r.randint(3, 9)),
    "km": lambda r: f"{r.randint(1, 30)}.{r.randint(1, 9)}",
    "rd": lambda r: f"{r.randint(0, 2)}.{r.randint(11, 98)}",
    "age": lambda r: f"{r.randint(47, 53)}.{r.randint(1, 9)}",
}

# ----------------------------------------------------------------------------- vocabulary

# Rare first characters and common second ones: fictional places (a clash with a real place
# name is possible but unlikely; none starts with a province's name, which pipeline.link
# would strip).
PLACE_FIRST = "蘅芷蓼荻葭蒹芸苓蕙澂泠漪沄湄岫峤崧楸檀棠椴榉柘桤樾槿栎枳莼菡蓍茆萸芃蔺箬筠"
PLACE_SECOND = "溪川塘湾坪冈陂渡桥源泉阳丘岭峪坞浦洲滩田原亭林湖坝垣墩"
TOWN_SECOND = "铺集店坪湾寨岗冲垴埠桥庄"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "明华建国文军平志伟东海强晓永杰俊峰春秋宏立新光亚红丽敏静云飞涛亮斌超浩宇鹏辉德成"

DEPARTMENTS = [
    # (name, short of the body, head role, party body)
    ("水利局", "局", "局长", "党组"), ("教育局", "局", "局长", "党组"), ("财政局", "局", "局长", "党组"),
    ("自然资源局", "局", "局长", "党组"), ("住房和城乡建设局", "局", "局长", "党组"),
    ("交通运输局", "局", "局长", "党组"), ("农业农村局", "局", "局长", "党组"),
    ("卫生健康局", "局", "局长", "党组"), ("市场监督管理局", "局", "局长", "党组"),
    ("生态环境分局", "局", "局长", "党组"), ("人力资源和社会保障局", "局", "局长", "党组"),
    ("民政局", "局", "局长", "党组"), ("文化旅游广电体育局", "局", "局长", "党组"),
    ("应急管理局", "局", "局长", "党组"), ("审计局", "局", "局长", "党组"), ("统计局", "局", "局长", "党组"),
    ("医疗保障局", "局", "局长", "党组"), ("林业局", "局", "局长", "党组"), ("商务局", "局", "局长", "党组"),
    ("发展和改革局", "局", "局长", "党组"), ("工业和信息化局", "局", "局长", "党组"), ("司法局", "局", "局长", "党组"),
    ("退役军人事务局", "局", "局长", "党组"), ("城市管理局", "局", "局长", "党组"),
    ("数据资源局", "局", "局长", "党组"), ("信访局", "局", "局长", "党组"), ("供销合作社", "社", "主任", "党组"),
    ("机关事务服务中心", "中心", "主任", "党组"), ("住房公积金管理中心", "中心", "主任", "党组"),
]
PARTY_ORGANS = [("委组织部", "部", "部长"), ("委宣传部", "部", "部长"), ("委统战部", "部", "部长"), ("委政法委员会", "委", "书记")]
SOE_NAMES = ["城市建设投资集团有限公司", "交通投资集团有限公司", "水务集团有限公司", "文化旅游发展集团有限公司",
             "国有资产经营集团有限公司", "农业发展投资集团有限公司", "产业投资集团有限公司", "公共交通集团有限公司"]
PARK_KINDS = [("经济技术开发区", "经开区"), ("高新技术产业开发区", "高新区"), ("工业园区", "工业园")]
INSTITUTIONS = [("人民医院", "医院", "院长"), ("中医医院", "医院", "院长"), ("第一中学", "学校", "校长"),
                ("职业技术学校", "学校", "校长"), ("妇幼保健院", "医院", "院长")]

# Categories: (sentence heading, noun phrase for 在…方面)
GROUPS = {
    "political": (
        ["贯彻落实党的路线方针政策和{upper}决策部署[不够到位|有差距]",
         "学习贯彻习近平新时代中国特色社会主义思想[不够深入|不深不实]",
         "[履行职能责任|服务中心大局][不够有力|有差距],推动高质量发展[质效不高|成效不明显]"],
        ["贯彻落实党的路线方针政策和{upper}重大决策部署", "学习贯彻党的创新理论", "履行职能职责、推动高质量发展"],
    ),
    "discipline": (
        ["全面从严治党“两个责任”落实[不到位|不力]",
         "推进全面从严治党[标准不高|力度不够],[重点领域监管存在盲区漏洞|廉政风险防控不到位]",
         "落实中央八项规定精神[不够严格|有差距],作风建设[抓得不实|有待加强]"],
        ["落实全面从严治党“两个责任”", "推进全面从严治党", "作风建设和落实中央八项规定精神"],
    ),
    "organisation": (
        ["落实新时代党的组织路线[有差距|不到位],基层党建[欠扎实|较薄弱]",
         "[干部队伍建设|领导班子和干部队伍建设]存在短板",
         "基层党组织建设[薄弱|不规范],组织力[不强|有待提升]"],
        ["落实新时代党的组织路线", "领导班子和干部队伍建设", "基层党组织建设"],
    ),
    "economy": (
        ["[重点领域|重点项目]监管存在盲区漏洞,[资金资产资源|国有资产]管理不规范",
         "[服务经济发展|推动产业发展]不够有力,[营商环境有待优化|发展质效不高]"],
        ["重点领域监管和资金资产资源管理", "服务经济社会发展"],
    ),
    "livelihood": (
        ["群众急难愁盼问题解决[不及时|不到位]",
         "[民生领域|民生实事]工作存在短板,[群众获得感不强|服务群众用心用情不够]"],
        ["解决群众急难愁盼问题", "保障和改善民生"],
    ),
    "rectification": (
        ["落实巡视巡察整改不到位", "整改“后半篇文章”做得不足,[抓长效|久久为功]缺乏定力"],
        ["落实巡视巡察整改和审计整改", "巡察整改“后半篇文章”"],
    ),
}
GROUP_ORDER = ("political", "discipline", "organisation", "economy", "livelihood", "rectification")


@dataclass(frozen=True)
class Theme:
    key: str
    group: str
    short: str  # the set name, quoted in recurrence wrappers
    cores: tuple[str, ...]
    details: tuple[str, ...]
    measures: tuple[str, ...]
    policies: tuple[str, ...]
    fixed: tuple[tuple[str, tuple[str, ...]], ...] = ()


def T(key, group, short, cores, details, measures, policies, **fixed) -> Theme:
    return Theme(key, group, short, tuple(cores), tuple(details), tuple(measures), tuple(policies),
                 tuple((k, tuple(v)) for k, v in sorted(fixed.items())))


THEMES: tuple[Theme, ...] = (
    # --- political ------------------------------------------------------------------------
    T("first_topic", "political", "第一议题",
      ["落实“第一议题”制度[不严格|不到位],{y}年以来有{n}次{meeting}未将学习习近平总书记重要讲话精神[作为第一议题|列为首要议题]",
       "“第一议题”学习[流于形式|存在以读代学现象],学习后研究贯彻落实措施[不具体|不够有力]",
       "理论学习中心组学习[不够深入|走过场],{y}年仅开展集中学习研讨{n}次"],
      ["学习记录[内容雷同|简单摘抄],缺少研讨发言", "[个别|部分]班子成员[交流发言质量不高|未按要求撰写心得体会]"],
      ["将学习习近平总书记重要讲话和重要指示批示精神作为{meeting}第一议题,{cy}年以来开展“第一议题”学习{n2}次",
       "组织理论学习中心组[专题学习|集中研讨]{n}次,班子成员[交流发言|撰写心得体会]{n2}篇",
       "建立学习台账,[每季度|每半年]对学习情况开展督查通报",
       "将理论学习情况纳入[年度考核|党建考核],对{n}个学习不规范的支部进行[通报|约谈]"],
      ["{U}“第一议题”制度", "{U}理论学习中心组学习制度", "关于进一步落实“第一议题”制度的实施办法"]),
    T("ideology", "political", "意识形态工作责任制",
      ["意识形态工作责任制落实不到位,[未按要求|没有]定期分析研判意识形态领域情况",
       "{channel}等意识形态阵地管理不严,{y}年发布信息审核不规范{n}条",
       "意识形态工作[考核|检查][流于形式|不够严格],责任制落实情况未作为干部评价使用的重要依据"],
      ["{y}年仅专题研究意识形态工作{n}次", "对[舆情|网络舆情]处置[不及时|不够规范]"],
      ["{meeting}专题研究意识形态工作{n}次,[签订|压实]意识形态工作责任书{n2}份",
       "对{channel}开展全面排查,[清理|关停]僵尸账号{n}个,落实“三审三校”制度",
       "开展意识形态领域风险隐患排查,[形成|建立]风险清单{n}项",
       "组织宣传思想干部培训{n}期,培训{big}人次"],
      ["{U}意识形态工作责任制实施细则", "{U}网络意识形态阵地管理办法", "意识形态工作考核细则"],
      channel=["网站、微信公众号", "政务新媒体", "宣传栏、电子屏", "门户网站和短视频账号"]),
    T("decisions", "political", "贯彻落实重大决策部署",
      ["贯彻落实上级[重大决策部署|重要工作部署][打折扣|不到位],{biz}推进缓慢",
       "落实{upper}关于{biz}的工作要求[不够有力|有差距],{y}年有{n}项重点任务未按期完成",
       "对{biz}工作[研究谋划不够|统筹推进不力],[部分目标任务滞后|工作成效不明显]"],
      ["[年度目标完成率仅为|任务完成率为]{pct}%", "[相关工作台账不完整|责任分工不明确]"],
      ["{meeting}专题研究{biz}工作{n}次,[制定|细化]任务清单{n2}项,逐项明确责任领导和完成时限",
       "成立{biz}工作专班,[每月|每季度]调度推进,{n}项滞后任务已[完成|按期推进]",
       "将{biz}纳入年度绩效考核,对{n}个[推进不力|工作滞后]的单位进行[约谈|通报]",
       "梳理{biz}重点任务{n2}项,建立“一月一调度”工作机制"],
      ["{U}{biz}工作实施方案", "关于加快推进{biz}的实施意见", "{U}重点工作督查督办办法"],
      biz=["乡村振兴", "营商环境优化", "河湖长制", "耕地保护", "安全生产专项整治", "民营经济发展", "数字政府建设", "生态环境保护"]),
    T("industry", "political", "产业发展",
      ["主导产业[规模偏小|带动能力不强],{y}年规模以上工业企业仅{n}家",
       "产业链条[不完整|联动不足],本地配套率仅为{pct_lo}%",
       "[产业结构不优|新兴产业培育不足],{y}年房地产业税收占比超过{pct}%"],
      ["缺少[龙头企业|链主企业]", "产值过亿元的企业仅{n}家"],
      ["出台{pol},{cy}年兑现各类帮扶资金{amt}万元",
       "开展“[干部联企业|千名干部联千企]”行动,结对帮扶企业{big}家,收集解决问题{n2}个",
       "新引进产业项目{n2}个,总投资{amt}万元,新增规模以上工业企业{n}家",
       "围绕主导产业推进{n}条产业链建设,组建产业基金{n}支"],
      ["{U}产业发展扶持政策", "关于促进{U}主导产业高质量发展的若干措施", "{U}企业梯度培育实施办法"]),
    T("innovation", "political", "科技创新",
      ["科技成果就地转化率不高,{y}年技术合同成交额同比下降{pct_lo}%",
       "研发投入强度偏低,{y}年全社会研发经费投入强度仅为{rd}%",
       "[创新平台数量少|高能级创新平台缺乏],省级以上研发机构仅{n}家"],
      ["高新技术企业数量[增长缓慢|偏少]", "科技型中小企业培育[不足|力度不大]"],
      ["出台{pol},设立科技创新引导资金{amt}万元",
       "新认定高新技术企业{n2}家、科技型中小企业{n2}家",
       "与{n}所高校院所签订合作协议,新建[研发中心|创新平台]{n}个",
       "举办科技成果路演活动{n}场,转化科技成果{n2}项"],
      ["{U}支持科技成果就地转化的若干政策", "{U}科技创新券管理办法", "关于加强企业研发机构建设的实施意见"]),
    T("centralism", "political", "民主集中制",
      ["执行民主集中制不严格,“三重一大”事项[未经集体研究|集体决策不规范],{y}年以来有{n}项大额资金支出未经{meeting}研究",
       "{meeting}研究议题会前酝酿不充分,[议而不决|决而不行]现象时有发生",
       "“一把手”[末位表态制度执行不到位|在会议讨论中先定调子]"],
      ["会议记录[不完整|未如实记录不同意见]", "[个别|部分]议题上会材料准备不充分"],
      ["修订{pol},明确“三重一大”事项范围和决策程序",
       "对{y0}年以来“三重一大”事项决策情况开展自查,[补充履行程序|完善会议纪要]{n}项",
       "严格落实议题会前征求意见和“一把手”末位表态制度",
       "开展民主集中制专题学习{n}次,组织班子成员谈心谈话{n2}人次"],
      ["{U}“三重一大”事项集体决策制度", "{U}{meeting}议事规则", "关于规范“三重一大”事项决策程序的通知"]),
    # --- discipline ---------------------------------------------------------------------------
    T("three_shifts", "discipline", "三转不到位",
      ["{disc}落实“三转”要求不到位,{head_disc}分管{biz}等业务工作",
       "[聚焦主责主业不够|监督执纪问责主业不突出],{head_disc}协管{biz}等{n}项工作",
       "{disc}参与[议事协调机构|业务检查]过多,{y}年参加{biz}等非职责范围工作{n2}次"],
      ["监督[缺位|弱化]", "“三转”自查自纠[不深入|走过场]"],
      ["调整领导班子分工,{head_disc}不再分管{biz}等业务工作,[报上级纪委监委备案|聚焦监督执纪问责]",
       "开展“三转”落实情况自查自纠,清理退出议事协调机构{n}个",
       "[下发|印发]{pol},明确{head_disc}职责清单",
       "对{n}个[下属单位|基层纪检组织]“三转”落实情况开展专项督查"],
      ["关于深化“三转”落实情况自查自纠的通知", "{U}纪检工作规程", "{U}纪检组织职责清单"],
      biz=["行政审批", "财务审批", "工程建设", "民政救助", "招商引资", "项目验收", "政府采购"]),
    T("four_winds", "discipline", "四风",
      ["违反中央八项规定精神问题时有发生,{sub}存在{wind}问题",
       "“四风”问题[隐形变异|改头换面],{y}年查处{wind}问题{n}起",
       "对“四风”问题[监督检查不够|查处不力],{sub}{wind}未被及时发现"],
      ["涉及金额{amt_s}万元", "[节假日|婚丧喜庆]期间问题尤为突出"],
      ["开展纠治“四风”专项整治,[查处|通报]典型问题{n}起,处理{n}人",
       "对{wind}问题责任人给予[党内警告|诫勉谈话|党内严重警告]处分{n}人,清退违规款项{amt_s}万元",
       "[修订|完善]{pol},[加强公务用车管理|规范公务接待]",
       "在重要节点开展明察暗访{n}次,通报曝光典型案例{n}起"],
      ["{U}公务用车管理办法", "{U}公务接待管理规定", "关于持续纠治“四风”的实施方案"],
      wind=["公车私用", "违规公款吃喝", "超标准公务接待", "违规发放津补贴", "违规使用公务卡"]),
    T("formalism", "discipline", "形式主义官僚主义",
      ["形式主义、官僚主义问题[较为突出|比较明显],{y}年以来发文{big}件、开会{n2}次,[文山会海|过度留痕]现象明显",
       "基层[报表多、检查多|迎检负担重],{sub}每年填报各类表格{n2}份",
       "[工作作风不实|调查研究不深入],{sub}存在[重留痕轻实效|以文件落实文件]现象"],
      ["督查检查考核事项[过多过频|多头重复]", "[部分|个别]工作群要求打卡上报过多"],
      ["开展整治形式主义为基层减负专项行动,精简文件{n2}%、会议{n2}%",
       "清理规范政务工作群{n2}个,取消不必要的打卡、填报事项{n}项",
       "[制定|出台]{pol},统筹规范督查检查考核事项",
       "班子成员开展蹲点调研{n2}次,[形成|撰写]调研报告{n}篇"],
      ["{U}督查检查考核事项计划管理办法", "关于为基层减负的若干措施", "{U}精文减会实施细则"]),
    T("gifts", "discipline", "违规收受红包礼金",
      ["个别干部违规收受[红包礼金|礼品礼金],涉及金额{amt_s}万元",
       "[节假日|婚丧喜庆]期间违规收送礼品礼金问题时有发生",
       "{sub}干部违规收受管理服务对象[礼品|购物卡]"],
      ["[警示教育|廉政提醒]不够", "[拒收上交|登记上交]制度执行不严"],
      ["对违规收受礼品礼金的{n}名干部分别给予[党内警告|诫勉谈话|政务记过]处理,清退款项{amt_s}万元",
       "开展违规收受红包礼金专项整治,组织签订廉洁承诺书{big}份",
       "召开警示教育大会{n}次,通报典型案例{n}起",
       "[建立|完善]{pol},实行礼品礼金登记上交制度"],
      ["{U}礼品礼金登记上交制度", "关于严禁违规收送红包礼金的通知"]),
    T("primary_resp", "discipline", "主体责任",
      ["履行全面从严治党主体责任[不到位|有缺失],{y}年未专题研究党风廉政建设工作",
       "[压力传导|责任传导]层层递减,{sub}党风廉政建设责任书签订流于形式",
       "党组织书记履行第一责任人职责[不到位|有差距],对班子成员[提醒谈话|廉政谈话]开展不够"],
      ["责任清单[笼统|不具体]", "对下级党组织[检查考核不严|督促指导不够]"],
      ["{meeting}专题研究全面从严治党工作{n}次,[制定|完善]主体责任清单{n2}项",
       "党组织书记与班子成员、班子成员与分管单位负责人开展廉政谈话{n2}人次",
       "印发{pol},将全面从严治党责任落实情况纳入年度考核",
       "对{n}个下级党组织落实主体责任情况开展专项检查"],
      ["{U}全面从严治党主体责任清单", "{U}党风廉政建设责任制考核办法", "关于落实全面从严治党主体责任的实施意见"]),
    T("supervision", "discipline", "监督责任",
      ["[执纪监督问责宽松软|监督责任落实不到位],{y}年以来自办案件仅{n}件",
       "日常监督[流于形式|不深不实],对同级党组织监督乏力",
       "问题线索处置[不及时|不规范],{y}年有{n}件线索超期未办结"],
      ["[斗争精神不强|动真碰硬不够]", "[监督检查|专项检查]发现问题少"],
      ["开展日常监督检查{n2}次,发现并督促整改问题{n2}个",
       "对{n}件超期问题线索[逐件|逐一]清理,[下发|制定]{pol}",
       "运用监督执纪“四种形态”处理{n2}人次,其中第一种形态占[六成以上|七成以上|八成以上]",
       "[组织|开展]纪检干部业务培训{n}期,提升监督执纪能力"],
      ["问题线索管理处置工作指引", "{U}日常监督工作办法", "{U}纪检监察信访举报工作规程"]),
    T("sanction", "discipline", "处分决定执行",
      ["处分决定执行不到位,{n}名受处分人员仍[发放全额绩效奖|参加评先评优]",
       "受处分人员影响期内[年度考核评定为称职|仍被提拔使用]",
       "对受处分人员[教育回访|跟踪管理]缺失"],
      ["[涉及金额|违规发放]{amt}万元", "[组织人事|财务]部门衔接不畅"],
      ["开展处分决定执行情况专项检查,追回违规发放奖金{amt}万元",
       "重新认定{n}名受处分人员年度考核等次",
       "[建立|完善]处分决定执行工作机制,[纪检、组织、财务部门|相关部门]定期通报",
       "对{n}名受处分人员开展回访教育"],
      ["关于规范处分决定执行工作的通知", "{U}受处分人员回访教育制度"]),
    T("one_post", "discipline", "一岗双责",
      ["班子成员履行“一岗双责”[不到位|有欠缺],对分管领域廉政风险[研判不够|排查不深入]",
       "[分管领导|部分班子成员]对分管部门[监督管理不严|疏于监管],{y}年分管领域发生违纪问题{n}起"],
      ["[廉政提醒|谈心谈话]开展不经常", "“一岗双责”清单[不具体|不完善]"],
      ["制定班子成员“一岗双责”清单{n2}项,[每半年|每季度]报告履责情况",
       "开展分管领域廉政风险排查,[查找|梳理]风险点{n2}个,制定防控措施{n2}条",
       "班子成员到分管领域讲廉政党课{n}次"],
      ["{U}班子成员“一岗双责”清单", "{U}廉政风险防控手册"]),
    T("revolving", "discipline", "政商旋转门",
      ["对辞去公职干部从业行为监管不严,存在“政商旋转门”风险,{y}年以来有{n}名干部辞职后到管理服务对象企业任职",
       "[离职干部|退休干部]违规从业[监管缺位|底数不清]"],
      ["从业限制规定执行不严", "[辞职审批|离职审计]把关不严"],
      ["对{y0}年以来辞去公职人员从业情况逐一排查,[核查|清理]{n}人",
       "[签订|落实]从业限制承诺书{n2}份,[建立|完善]离职人员从业信息台账",
       "开展主要负责人任期经济责任审计{n}项"],
      ["{U}干部辞职从业限制管理办法", "关于规范公职人员辞去公职后从业行为的通知"]),
    T("finance_disc", "discipline", "财经纪律",
      ["财务管理不规范,{sub}存在虚列费用、[白条入账|大额现金支付]等问题,涉及金额{amt}万元",
       "财务账务清理不及时,往来款长期挂账{amt}万元",
       "[专项资金|项目资金]使用不规范,{y}年有{amt}万元资金[挤占挪用|超范围支出]"],
      ["内控制度[不健全|执行不严]", "[会计核算|票据管理]不规范"],
      ["[收回|追回]违规资金{amt}万元,对{n}名责任人进行[批评教育|诫勉谈话]",
       "清理往来款{n2}笔,金额{amt}万元",
       "修订{pol},完善[资金审批|报销]流程",
       "对{n}个下属单位开展财务专项检查,发现并整改问题{n2}个"],
      ["{U}财务管理办法", "{U}内部控制手册", "{U}会议费培训费管理办法"]),
    # --- organisation ------------------------------------------------------------------------
    T("young_cadres", "organisation", "年轻干部培养选拔",
      ["年轻干部培养选拔力度不够,35岁以下{level}仅{n}名",
       "干部队伍年龄结构[老化|不合理],平均年龄{age}岁",
       "年轻干部[实践锻炼不足|储备不足],[缺乏|没有]系统培养规划"],
      ["[梯次配备|梯队建设]不合理", "{y}年以来[提拔|使用]年轻干部仅{n}名"],
      ["制定{pol},选派{n}名年轻干部到基层一线挂职锻炼",
       "提拔使用35岁以下年轻干部{n}名,[充实|调整]到重要岗位",
       "举办年轻干部培训班{n}期,培训{n2}人次",
       "建立优秀年轻干部储备库,[入库|储备]{n2}人"],
      ["{U}年轻干部培养三年规划", "关于加强优秀年轻干部培养选拔工作的实施意见"],
      level=["科级干部", "中层干部", "中层正职", "专业技术骨干"]),
    T("rotation", "organisation", "干部交流轮岗",
      ["干部交流轮岗力度不大,{n}名[重要岗位|关键岗位]干部在同一岗位任职超过{k}年",
       "[财务|审批|采购]等重要岗位人员长期未轮岗"],
      ["轮岗制度执行不严", "交流渠道不畅"],
      ["[制定|完善]{pol},对{n}名在同一岗位任职时间较长的干部进行轮岗交流",
       "[推进|实施]干部交流{n2}人次,[其中|含]重要岗位{n}人",
       "建立重要岗位人员台账,[每年|定期]更新"],
      ["{U}干部交流轮岗实施办法", "{U}重要岗位人员轮岗制度"]),
    T("archives", "organisation", "干部人事档案",
      ["干部人事档案工作不扎实,抽查{n2}卷档案中有{n}卷存在材料[缺失|更新滞后]问题",
       "干部人事档案[信息认定不准确|入档不及时],“三龄两历一身份”审核不严"],
      ["[档案室|档案库房]管理不规范", "专项审核[不彻底|有遗漏]"],
      ["对{big}卷干部人事档案开展专项审核,补充材料{big}份",
       "[启动|推进]档案数字化建设,完成数字化档案{big}卷",
       "[制定|修订]{pol},规范档案收集、鉴别、归档流程"],
      ["{U}干部人事档案管理办法", "干部人事档案材料收集归档工作规程"]),
    T("selection", "organisation", "选人用人",
      ["干部选拔任用程序不规范,{y}年有{n}名干部提拔时[未开展考察|考察不全面]",
       "干部选拔任用监督信息沟通工作机制不够健全",
       "[个人有关事项报告|干部任前公示]查核把关不严,{n}名干部[漏报|少报]个人有关事项"],
      ["[“凡提四必”|任前审核]执行不严", "纪实材料[不完整|不规范]"],
      ["建立干部选拔任用监督信息沟通机制,[制定|印发]{pol}",
       "对{y0}年以来干部选拔任用工作开展“回头看”,[完善|补充]纪实材料{n2}份",
       "严格落实“凡提四必”,{cy}年以来[征求|核查]纪检监察意见{n2}人次",
       "对{n}名漏报个人有关事项的干部进行[批评教育|诫勉谈话]"],
      ["干部监督工作联席会议制度和信息沟通办法", "{U}干部选拔任用工作纪实办法"]),
    T("initiative", "organisation", "担当作为",
      ["干部担当作为不够,[不敢为、不愿为|遇到矛盾绕道走]的现象[时有发生|不同程度存在]",
       "[激励机制|考核评价]作用发挥不充分,干部干事创业积极性不高"],
      ["[容错纠错|澄清正名]机制落实不够", "[个别|部分]干部有“躺平”心态"],
      ["出台{pol},建立容错纠错、澄清正名等制度{n}项",
       "开展[作风建设年|担当作为]专项行动,[表彰|评选]担当作为先进典型{n}名",
       "对{n}名履职不力的干部进行[调整|约谈]"],
      ["关于激励干部担当作为的若干措施", "{U}容错纠错实施办法"]),
    T("hollow", "organisation", "空心党支部",
      ["非公党组织覆盖率仅为{pct}%,存在只有阵地没有组织生活的“空心党支部”",
       "[部分|个别]党支部组织生活“断档”,{y}年有{n}个支部未按期换届",
       "[联合党支部|新建党组织]运转不规范,{n}个支部[未开展组织生活|活动流于形式]"],
      ["[党员底数不清|党员管理松散]", "党建阵地[闲置|利用率不高]"],
      ["对{n}个“空心党支部”逐一指导规范,[调整|选优配强]支部书记{n}名",
       "完成{n}个党支部按期换届,规范组织生活",
       "[建立|完善]党组织运转情况台账,[每季度|每半年]开展“回头看”"],
      ["{U}基层党组织按期换届工作办法", "关于规范联合党支部设置和运行的通知"]),
    T("three_meetings", "organisation", "三会一课",
      ["[基层党支部|部分党支部]“三会一课”制度落实不严格,{y}年有{n}个支部会议记录不全",
       "“三会一课”[内容单一|流于形式],[个别|部分]支部会议记录存在补写现象"],
      ["组织生活会[批评与自我批评不够|质量不高]", "主题党日活动[形式单一|开展不经常]"],
      ["对{n2}个党支部“三会一课”开展专项督查,[通报|反馈]问题{n2}个",
       "[组织|开展]支部书记培训{n}期,规范“三会一课”记录",
       "[印发|制定]{pol},明确“三会一课”内容和程序"],
      ["{U}“三会一课”工作规范", "{U}党支部工作手册"]),
    T("appraisal", "organisation", "民主评议党员",
      ["党员民主评议[不规范|走过场],{sub}评议结果[全部为优秀|未按要求公示]",
       "开展党员民主评议不够规范,[测评|评议]程序不完整"],
      ["[不合格党员处置|评议结果运用]不到位"],
      ["对近三年党员民主评议情况开展“回头看”,对评议结果不合理的{n}个支部[重新评定|督促整改]",
       "[印发|下发]{pol},规范评议程序",
       "开展党务工作者培训{n}期,培训{big}人次"],
      ["{U}民主评议党员工作规程", "关于规范开展民主评议党员工作的通知"]),
    T("two_new", "organisation", "两新党建",
      ["“两新”党建较为薄弱,{n}家规模以上企业未建立党组织",
       "[非公企业|社会组织]党建工作[覆盖不全|质量不高],党员底数不清"],
      ["党建指导员[作用发挥不够|选派不到位]", "[两个覆盖|党的组织覆盖]台账更新不及时"],
      ["新组建非公企业党组织{n}个,选派党建指导员{n2}名",
       "开展“两新”组织摸排,[建立|更新]“两个覆盖”台账",
       "[举办|组织]非公党组织书记培训班{n}期,培训{n2}人次"],
      ["{U}“两新”组织党建工作指导员管理办法", "关于加强“两新”组织党建工作的实施意见"]),
    T("talent", "organisation", "人才工作",
      ["人才引进激励政策滞后,{y}年以来引进高层次人才仅{n}名",
       "[对人才工作重视不够|人才工作领导小组作用发挥不充分],[人才政策没有连续性|青年科技人才培养力度不够]"],
      ["[人才流失|人才断档]问题突出", "人才政策资金兑现[不及时|不到位]"],
      ["出台{pol},{cy}年兑现人才政策资金{amt}万元",
       "新引进高层次人才{n}名、急需紧缺人才{n2}名",
       "[建立|健全]人才工作领导小组议事规程和工作机制"],
      ["{U}支持人才创新创业若干政策", "{U}高层次人才认定实施细则"]),
    T("organ_pb", "organisation", "机关党建",
      ["机关党建与业务工作[融合不够|“两张皮”],党建工作考核[流于形式|未与业务考核挂钩]",
       "机关党建工作[不够到位|基础薄弱],{y}年未召开机关党建述职评议会议"],
      ["[党员教育管理|党建品牌创建]不够", "党务干部[配备不足|业务不熟]"],
      ["召开基层党建述职评议会议,层层压实党建责任",
       "建立[一名领导一个联系点|党建联系点]制度,班子成员到联系点指导{n2}次",
       "[制定|修订]{pol},将党建考核结果与[绩效考核|评先评优]挂钩"],
      ["{U}机关党建工作考核办法", "{U}党建工作责任清单"]),
    # --- economy -------------------------------------------------------------------------------
    T("investment", "economy", "招商引资重招轻管",
      ["招商引资[重招轻管|重签约轻落地],{y}年以来签约项目{n2}个,落地开工仅{n}个",
       "对已签约企业跟踪服务不够,{n}个项目[未按合同约定投产|长期未开工]",
       "招商项目[尽职调查不充分|可行性研究不够],{sub}给予招商项目的扶持补贴未做约束"],
      ["[履约监管|合同管理]缺位", "[部分|个别]项目存在违约风险"],
      ["建立签约项目履约台账,对{n2}个签约项目实行专人跟踪服务",
       "[出台|制定]{pol},建立尽职调查、专家论证等制度",
       "对{n}个违约项目依法依规处置,追回扶持资金{amt}万元",
       "开发招商项目履约监管系统,[每季度|每月]开展履约评估"],
      ["{U}招商工作指引", "{U}招商项目履约管理办法", "项目合作协议示范文本"]),
    T("tendering", "economy", "招投标监管",
      ["工程项目招投标监管不严,{sub}存在[先施工后招标|化整为零规避招标]问题",
       "招投标[程序不规范|评标专家抽取不规范],{y}年有{n}个项目[未公开招标|招标文件设置排他性条款]"],
      ["[围标串标|转包分包]风险较大", "招标代理机构管理不严"],
      ["对{y0}年以来的{n2}个工程项目开展全面清查,[移交|处理]问题线索{n}条",
       "[制定|出台]{pol},规范招投标全流程管理",
       "开发工程项目全过程监督系统,[实现|推动]招投标全流程电子化",
       "对{n}名责任人给予[党内警告|政务警告|诫勉谈话]处理"],
      ["{U}工程建设项目招投标管理办法", "{U}政府投资项目管理办法"]),
    T("soe", "economy", "国企监管",
      ["对下属国有企业监管不到位,{soe}[对外借款|大额资金出借]未履行决策程序,涉及金额{amt}万元",
       "国有企业层级多、下属公司多,{soe}[子公司基本账户未纳入集团监管|长期亏损]",
       "{soe}[用贷款资金购买大额定期存单|融资成本偏高],增加了企业负担"],
      ["[法人治理结构|内部控制]不健全", "[资产底数|债权债务]不清"],
      ["[制定|修订]{pol},[压减|清理]下属公司{n}家",
       "开通银企直联,将{n}家子公司基本户纳入集团资金监管",
       "对{soe}开展专项审计,[追回|收回]资金{amt}万元",
       "[加强|完善]国企绩效考核,[核减|扣减]负责人绩效薪酬"],
      ["{U}国有企业融资管理制度", "国企重组改革方案", "{U}国有企业投资监督管理办法"]),
    T("debt", "economy", "债务风险",
      ["[隐性债务|政府债务]风险防控不力,{y}年债务率达到{pct}%",
       "专项债券资金使用进度缓慢,{y}年发行的{project}项目债券使用进度仅{pct_lo}%",
       "个别贷款未及时纳入债务监测平台,{y}年有{amt}万元债务未录入"],
      ["还本付息压力较大", "[融资平台|国有平台公司]转型缓慢"],
      ["制定化债方案,{cy}年化解存量债务{amt}万元",
       "加快{project}项目建设和资金拨付,[资金使用进度|支付进度]提高到{pct}%",
       "将{n}笔系统外债务录入债务监测平台",
       "[建立|完善]{pol}"],
      ["{U}政府债务风险应急处置预案", "{U}专项债券资金管理办法"],
      project=["社区卫生服务中心建设", "老旧小区改造", "城乡供水一体化", "产业园区基础设施", "冷链物流园"]),
    T("idle_land", "economy", "闲置土地",
      ["土地资源利用效率不高,{y}年出让的{n}宗{acre}亩土地闲置至今",
       "{y}年至{y1}年获批的{n}宗土地未实施供地",
       "批而未供、供而未用土地[底数不清|处置缓慢],涉及土地{acre}亩"],
      ["[土地闲置费|违约金]未按规定收取", "低效用地再开发推进不力"],
      ["对{n}宗闲置土地逐宗制定处置方案,{n}宗已开工建设",
       "[收回|盘活]闲置土地{acre}亩",
       "[出台|制定]{pol},建立批而未供土地动态台账"],
      ["{U}闲置土地处置办法", "{U}批而未供土地消化处置工作方案"]),
    T("funds", "economy", "财政资金管理",
      ["财政资金[沉淀闲置|拨付不及时],{amt}万元专项资金闲置超过{k}个月",
       "惠农补贴资金发放不规范,{sub}虚报冒领补贴{amt}万元",
       "[预算执行|预算编制]不严格,{y}年预算调整率达{pct_lo}%"],
      ["[绩效评价|资金监管]流于形式", "[资金拨付|结余资金]清理不及时"],
      ["盘活闲置资金{amt}万元,统筹用于[民生项目|重点项目]建设",
       "追回虚报冒领补贴资金{amt}万元,对{n}名责任人进行[诫勉谈话|党纪政务处分]",
       "开展惠农补贴资金自查自纠,[覆盖|核查]{n2}个村",
       "修订{pol},[规范|完善]资金拨付流程"],
      ["{U}财政专项资金管理办法", "惠农补贴资金发放管理办法", "{U}预算绩效管理实施细则"]),
    T("farmland", "economy", "耕地非农化",
      ["耕地保护责任落实不到位,有{acre}亩耕地“非农化”问题未完成[复耕|处置]",
       "“非粮化”问题底数不清,{n2}处图斑未核查到位",
       "[违法占用耕地|违规建房]问题[查处不及时|制止不力],{y}年新增违法用地{acre}亩"],
      ["[田长制|耕地保护责任制]落实不严", "[动态巡查|卫片执法]不到位"],
      ["开展耕地“非农化”“非粮化”专项整治,整改图斑{n2}个、[复耕|恢复]耕地{acre}亩",
       "逐户逐地块开展摸底,[建立|完善]耕地保护台账",
       "落实田长制,[设立|明确]各级田长{big}名",
       "对{n}起违法用地案件立案查处"],
      ["{U}田长制实施方案", "耕地保护目标责任考核办法"]),
    T("projects", "economy", "工程项目管理",
      ["工程项目管理不规范,{n}个项目[未按基本建设程序开工|竣工后未及时结算]",
       "{project}工程{y}年开工,[至今未完工|长期停工],[投资超概算|工期滞后]",
       "[工程变更签证|造价控制]管理不规范,{y}年有{n}个项目变更金额超过合同价{pct_lo}%"],
      ["[监理|验收]把关不严", "工程款支付不规范"],
      ["对{n2}个项目逐一梳理,[补办|完善]施工许可等手续{n}项",
       "[制定|印发]{pol},规范工程变更签证管理",
       "[完成|推进]{n}个项目竣工结算,审减金额{amt}万元",
       "对{project}工程实行挂图作战,[已完成|完成]主体工程的{pct}%"],
      ["{U}工程变更签证管理细则", "{U}政府投资项目全过程管理办法"],
      project=["城区道路改造", "农田水利", "文体中心", "污水处理厂提标改造", "安置小区", "乡镇卫生院"]),
    T("business_env", "economy", "营商环境",
      ["营商环境[有待优化|不够优],{y}年企业满意度测评仅为{pct}%",
       "[涉企收费|涉企检查]不规范,{sub}存在[重复检查|超标准收费]现象",
       "[工业用地项目履约保证金|企业保证金]退还不及时,涉及金额{amt}万元"],
      ["[服务企业|惠企政策兑现]不及时", "企业反映问题[办理不及时|回应不及时]"],
      ["制定{pol},明确年度改革任务{n2}项",
       "退还企业保证金{amt}万元,[清理|规范]涉企收费项目{n}项",
       "开展[政企早餐会|企业家座谈会]{n}场,收集解决问题{n2}个",
       "推行“综合查一次”,减少涉企检查{n2}%"],
      ["{U}优化营商环境行动方案", "{U}涉企检查管理办法"]),
    T("hotline", "economy", "政务服务",
      ["政务服务热线工单[退单率较高|办结质量不高],{y}年退单率达{pct_lo}%",
       "[政务服务事项|“一网通办”事项]办理不便捷,{n}项事项[仍需群众多次跑腿|网办率低]",
       "[政务服务中心24小时自助服务区|政务服务大厅自助终端][利用率低|长期闲置]"],
      ["[首问负责|帮办代办]制度落实不到位", "[工单|诉求]回访不及时"],
      ["[制定|落实]{pol},[加大|强化]督查考核力度,退单率已下降至{pct_lo}%",
       "优化[办事流程|审批流程],压缩办理时限{n2}%",
       "对{n}项高频事项实行[“一件事一次办”|帮办代办]"],
      ["{U}政务热线月度考评管理办法", "{U}工单派(退)单管理办法"]),
    # --- livelihood -------------------------------------------------------------------------
    T("sewage", "livelihood", "雨污分流",
      ["城区雨污分流改造推进缓慢,{n}个老旧小区雨污混流问题突出",
       "[排水管网|污水管网]建设滞后,{y}年污水收集率仅为{pct}%",
       "片区管网雨污分流整治方案[还未正式出台|迟迟未出台]"],
      ["[管网破损|错接混接]问题较多", "群众反映[污水外溢|异味]问题较多"],
      ["完成雨污分流改造管网{km}公里,对{n2}个老旧小区实施雨污管网改造",
       "[编制|印发]{pol},明确建设、接驳、验收责任",
       "投入资金{amt}万元实施[管网修复|截污纳管]工程",
       "对暂不具备改造条件的{n}个小区实施末端截污"],
      ["{U}城区雨污分流改造三年行动方案", "{U}城区排水管网建设管理办法"]),
    T("drinking", "livelihood", "饮水安全",
      ["农村饮水安全保障不到位,{n}个村供水设施[长期闲置|建后管护缺失]",
       "[农村区域|偏远村组][部分居民|{n2}户群众]未用上自来水",
       "农村供水工程建后管护长效机制不健全,[管护经费|管护人员]不落实"],
      ["[水质检测|水源保护]不到位", "[供水管网老化|停水]问题突出"],
      ["对{n2}处农村供水工程开展排查,修复供水设施{n}处",
       "完成{big}户居民通水入户,[解决|改善]群众饮水问题",
       "[制定|出台]{pol},落实管护人员和管护经费"],
      ["{U}农村供水工程运行管护办法", "{U}供水设施建设三年计划"]),
    T("resettle", "livelihood", "拆迁安置",
      ["拆迁安置工作推进缓慢,{n2}户群众超期过渡",
       "安置房建设[进度滞后|户型配比不合理],群众反映强烈",
       "安置小区{n2}套住宅未办理不动产权证"],
      ["[过渡安置费|补偿款]发放不及时", "[信访|投诉]较多"],
      ["加快{n}个安置小区建设,已安置{big}人",
       "[制定|落实]已拆待安人员安置计划,按时足额发放过渡安置费{amt}万元",
       "办理不动产权证{big}套,[解决|化解]群众“办证难”问题"],
      ["{U}征收安置工作实施办法", "已拆待安人员安置计划"]),
    T("schools", "livelihood", "学位供给",
      ["优质学位供给不足,城区学校大班额问题[突出|未有效解决]",
       "[学校建设|教育基础设施]滞后,{y}年学位缺口达{big}个",
       "[校外培训机构|无证幼儿园]监管不到位,{n}所机构存在安全隐患"],
      ["[师资配备|教师编制]不足", "[入学|转学]矛盾突出"],
      ["完成{n}所新建、改扩建学校建设,增加公办学位{big}个",
       "[制定|出台]{pol}",
       "对{n}所无证幼儿园分类整改,已逐一关停、转型或规范办证"],
      ["{U}学校建设三年行动计划", "{U}校外培训机构监管办法"]),
    T("work_safety", "livelihood", "安全生产",
      ["安全生产监管不到位,{sub}存在[消防通道堵塞|违规储存危险化学品]等隐患{n}处",
       "[重大事故隐患排查整治|安全生产专项整治]不彻底,{y}年发生生产安全事故{n}起",
       "[自建房|燃气]安全隐患排查[不深入|不全面]"],
      ["[企业主体责任|属地监管责任]落实不到位", "[应急预案|应急演练]流于形式"],
      ["开展安全生产大排查大整治,排查整改隐患{big}处",
       "[出台|制定]{pol},实行挂牌督办、治理销账制度",
       "对{n}家企业实施行政处罚,罚款{amt}万元",
       "组织应急演练{n2}次,培训{big}人次"],
      ["{U}安全生产领域有奖举报实施办法", "{U}安全生产“党政同责、一岗双责”实施细则"]),
    T("petitions", "livelihood", "信访与群众诉求",
      ["信访件办理[不及时|质量不高],{y}年以来重复信访{n}件",
       "[领导干部接访下访|信访积案化解]工作不到位,{n}件信访积案未化解",
       "关于[楼盘质量|物业管理|停车难]的投诉较多"],
      ["[群众满意率|办结率]不高", "[首办责任|信访事项办理]落实不到位"],
      ["对{n2}件信访件逐件督办,[化解|办结]信访积案{n}件",
       "[出台|建立]领导干部定期下访接待群众制度,开展下沉接访{n}轮,接待群众{big}批次",
       "[制定|修订]{pol}"],
      ["{U}信访事项办理工作规程", "领导干部接访下访制度"]),
    T("river", "livelihood", "水质与河长制",
      ["落实河长制不到位,{n}处河段“清四乱”整治进展缓慢",
       "[个别河流|部分断面]水质监测未达标,{y}年有{n}个月超标",
       "河湖[巡查|管护]不到位,[乱占、乱采、乱堆、乱建|乱堆乱放]问题较多"],
      ["[排口溯源|水质监测]不到位", "河长巡河[流于形式|频次不够]"],
      ["开展河湖“清四乱”专项行动,清理问题{n2}处",
       "[制定|修订]{pol},落实县、乡、村三级河长巡河责任",
       "对超标排口开展溯源整改,使水质稳定在Ⅲ类标准",
       "投入资金{amt}万元实施[河道清淤|生态补水]工程"],
      ["{U}河湖巡查工作制度", "{U}河长制工作考核办法"]),
    T("flooding", "livelihood", "内涝治理",
      ["城市排水防涝能力不足,{n}个易涝点未完成改造",
       "[防汛物资储备不足|应急排涝能力不强],{y}年汛期出现内涝{n}次"],
      ["[排水管网检测|清淤]不及时", "应急预案[不完善|演练不足]"],
      ["检测排水管网{km}公里、清淤{big}立方米,修复堵点{n2}个",
       "新增防汛物资储备仓库{n}处,补充防汛物资价值{amt}万元",
       "[完善|修订]{pol}"],
      ["{U}防涝排渍应急预案", "{U}城市排水防涝设施建设规划"]),
    # --- rectification (recurrence by nature) -------------------------------------------------
    T("audit_fix", "rectification", "审计整改",
      ["{y}年{auditor}审计指出的{n}个问题[尚未整改到位|整改不彻底]",
       "[上级审计|{auditor}审计]反馈的{amt}万元资金问题[未整改到位|整改不彻底]"],
      ["整改长效工作机制没有健全完善"],
      ["将审计反馈问题作为工作重点,通过专班督导、严格复核等措施推进整改",
       "印发{pol},健全审计整改领导、监督和落实机制",
       "对审计整改情况开展“回头看”,[追回|收回]资金{amt}万元"],
      ["{U}审计问题整改长效机制的实施意见", "审计整改销账管理办法"],
      auditor=["县审计局", "市审计局", "省审计厅"]),
    T("self_fix", "rectification", "未巡先改",
      ["未巡先改查摆问题{n2}个,取得初步成效的仅{n}个",
       "[巡察整改日常监督欠深入|整改工作责任压得不实],监督长效工作机制有待健全"],
      ["[存在文字整改|整改效果不优]"],
      ["不断加大未巡先改问题整改力度,逐项[对账|核查]销账",
       "[制定|出台]{pol},[压实|明确]整改责任",
       "对{n}个整改不到位的问题重新制定整改措施"],
      ["{U}巡察整改日常监督办法", "加强巡察整改和成果运用的责任清单"]),
)

# Specifics added to a statement that another unit already printed word for word.
EXTRA_DETAILS = (
    "巡察抽查{n2}份资料发现问题{n}处",
    "涉及{sub}等{n}个单位",
    "{y}年以来同类问题发生{n}起",
    "群众反映相关问题{n2}件次",
    "抽查{n2}个事项中有{n}个存在此类问题",
    "涉及资金{amt}万元",
)

# Generic measures, any theme.
GENERIC_MEASURES = (
    "召开[专题会议|{meeting}]{n}次研究部署整改工作,明确责任领导、责任单位和完成时限",
    "举一反三开展自查自纠,[排查|梳理]同类问题{n}个,逐项建立台账、对账销账",
    "对{n}名相关责任人进行[批评教育|提醒谈话|诫勉谈话]",
    "开展警示教育{n}场次,覆盖党员干部{big}人次",
    "将该项工作纳入年度[绩效考核|目标考核],[每季度|每月]通报进展",
    "[组织|开展]业务培训{n}期,培训{big}人次",
    "[邀请|委托]第三方机构开展评估,[形成|出具]评估报告{n}份",
    "召开专题民主生活会,班子成员逐一对照检查、深刻剖析,开展批评与自我批评",
    "[制定|细化]整改任务清单,实行“[周调度、月通报|月调度、季通报]”,[{n}项|全部]整改任务均明确了责任领导和完成时限",
    "对整改情况开展“回头看”,[抽查|复核]整改事项{n}项,[督促|推动]整改不到位的事项重新整改",
    "[组织|安排]班子成员深入基层一线调研{n2}次,听取意见建议{n2}条",
    "将整改情况纳入[党建述职评议|年度考核|巡察监督]内容,对整改不力的[单位|个人]严肃问责",
    "梳理相关政策文件{n2}份,[废止|修订]不符合要求的文件{n}份",
)
# Measures that name the problem they answer.
ECHO_MEASURES = (
    "针对“{clause}”的问题,[逐项制定整改措施|开展专项排查|进行全面梳理],[明确责任人和完成时限|建立问题台账、对账销账|实行清单化管理]",
    "对“{clause}”问题[深入剖析原因|召开专题会议研究],[举一反三查找同类问题|制定针对性整改方案]",
    "围绕“{clause}”问题开展“回头看”,[逐条核查|逐项复核]整改成效",
)

# Short heads of enumerated measures (一是加强建章立制。…) and closing clauses.
MEASURE_HEADS = ("加强建章立制。", "严格责任落实。", "开展专项整治。", "举一反三抓整改。", "压实工作责任。", "强化督促检查。",
                 "深入查摆剖析。", "健全长效机制。", "强化结果运用。", "加强教育引导。", "全面摸清底数。", "坚持标本兼治。")
MEASURE_TAILS = (",确保整改取得实效", ",切实堵塞管理漏洞", ",推动形成长效机制", ",防止类似问题再次发生", ",做到真改实改",
                 ",以案促改、以案促治", ",整改情况在一定范围内通报", ",举一反三抓好同类问题整改")
POLICY_VERBS = ("出台", "制定", "印发", "修订", "下发", "完善", "建立")

# Status words as the sample prints them and pipeline/data/status.jsonl knows them (a word
# missing there would give W012).
STATUS_LINE_WORDS = {
    "Completed": ("完成", "已完成", "已完成", "完成", "已完成整改", "整改完成"),
    "PartiallyCompleted": ("阶段性完成", "阶段性完成", "基本完成", "部分完成", "初步完成"),
    "NotCompleted": ("未完成", "尚未完成", "申请延期"),
    "InProgress": ("正在整改", "整改中", "正在推进", "推进中", "持续整改", "持续推进", "持续推进"),
    "LongTerm": ("长期坚持", "需长期坚持", "长期整改"),
}
STATUS_BARE_WORDS = {
    "Completed": ("已完成。", "整改完成。", "已完成"),
    "PartiallyCompleted": ("阶段性完成。", "基本完成。"),
    "NotCompleted": ("未完成。", "尚未完成。"),
    "InProgress": ("正在整改中。", "正在推进。", "持续推进。"),
    "LongTerm": ("长期坚持。", "需长期坚持。"),
}
STATUS_INLINE = {
    "Completed": ("目前该问题已整改到位。", "该问题已完成整改。", "相关问题已全部整改到位。"),
    "PartiallyCompleted": ("该问题已阶段性完成整改。", "目前已基本完成整改。"),
    "NotCompleted": ("因客观原因已申请延期整改。",),
    "InProgress": ("目前该项工作正在推进。", "相关问题正在整改。"),
    "LongTerm": ("该项工作需长期坚持。", "此项整改需长期坚持。"),
}
# Inline status phrases of status.jsonl: never in a measure except the one intended.
INLINE_PHRASES = ("阶段性完成整改", "基本完成整改", "已整改到位", "已全部整改到位", "已完成整改", "整改销号", "已销号",
                  "正在整改", "正在推进", "需长期坚持", "长期坚持", "申请延期整改")
STATUS_LABELS = ("整改结果", "整改结果", "整改结果", "完成情况", "整改进展", "整改状态")
MEASURE_LABELS = ("整改情况", "整改情况", "整改情况", "整改措施", "整改举措", "落实情况")

# Recurrence wrappers: {prev} an earlier round (2019年县委巡察), {short} the theme's name,
# {core} the statement.
RECUR_PRE = (
    "{prev}指出的“{short}”问题整改不彻底,{core}",
    "“{short}”问题[没有明显改善|仍然存在],{core}",
    "{prev}反馈的“{short}”问题[未整改到位|仍未杜绝],{core}",
)
RECUR_POST = (
    "{core},{prev}已指出此问题,本轮{cur}发现[仍然存在|仍未根除]",
    "{core},上轮{bodykind}指出后[仍未杜绝|未整改到位]",
    "{core},系{prev}反馈问题,整改后出现反弹",
    "{core},{prev}指出后在本轮{cur}期间才阶段性完成整改",
)
RECUR_TWO = "{core},{prev}、{prev2}均存在此问题"

# ----------------------------------------------------------------------------- text pools

OPENINGS = (
    "根据{upper}统一部署,{d1}至{d2},{team}对{target}进行了{kind}。{fb},{team}向{recipient}反馈了{base}意见。按照{base}工作要求,现将{base}整改进展情况予以公布。",
    "根据{upper}{base}工作安排,{team}于{d1}至{d2}对{target}开展了{kind}。{fb},{team}向{recipient}反馈了{base}意见。根据有关要求,现将整改进展情况予以公布。",
    "按照{roundtext}{base}工作安排,{d1}至{d2},{team}对{target}进行了{kind}。{fb},{team}向{recipient}集中反馈了{base}意见。按照党务公开和{base}工作有关要求,现将{base}整改进展情况予以公布。",
)
ORG_PARAS = (
    "{org_self}坚决扛牢{base}整改政治责任,把{base}整改作为重大政治任务,第一时间成立由{leader_role}任组长的{base}整改工作领导小组,召开{n}次{meeting}专题研究整改工作,制定整改方案,明确整改任务{n2}项,逐项建立台账、对账销账。",
    "{org_self}坚持把{base}整改与落实上一轮整改成果结合起来,[以|坚持]“[钉钉子|抓铁有痕]”精神推进整改,召开整改推进会{n}次,开展督导检查{n2}次,推动整改按时保质、取得实效。",
    "{org_self}坚持问题导向、目标导向、结果导向,逐条制定有针对性的整改措施,逐一明确责任领导、责任单位和整改时限,形成问题清单、任务清单和责任清单,严格按标准抓好验收销账。",
)
LEADER_PARAS = (
    "{leader_role}{leader}同志切实履行整改第一责任人责任,牵头领办反馈问题{nlead}个,带头召开专题民主生活会,[多次|{n}次]听取整改工作汇报,对重点难点问题亲自研究、亲自调度。",
    "{leader_role}{leader}同志坚决扛牢{base}整改第一责任人责任,主持召开{n2}次会议研究落实整改工作,[带头领办|牵头督办]“{short1}”“{short2}”等重点问题,坚持新账旧账一起算。",
    "一是提高站位,迅速部署。{leader_role}{leader}同志主持召开{meeting}{n}次,研究制定整改方案。二是压实责任,合力推进。班子成员认真履行“一岗双责”,[牵头|分别]领办分管领域整改事项。三是严格督导,确保实效。建立整改调度机制,开展督导检查{n2}次。",
)
ORG_STEPS = (
    ("一是提高站位,以鲜明的态度迅速改。坚持把{base}整改作为践行“两个维护”的具体行动,第一时间研究制定整改方案,召开{n}次{meeting}推进整改工作。"
     "二是加强领导,以示范的效应带头改。成立{base}整改工作领导小组,主要负责同志统筹推进整改工作,牵头领办整改事项,调研调度重点问题。"
     "三是压实责任,以精准的措施有效改。逐条制定整改措施,逐一明确责任领导、责任单位和整改时限,形成问题清单和整改台账。"
     "四是严格督导,以科学的机制合力改。建立分级调度机制,召开调度会{n2}次,开展督导检查{n2}次,汇聚了条块联动、同题共答的合力。"),
    ("(一)提高政治站位,强化政治自觉。将{base}整改作为重大政治任务,深学习、实调研、抓落实,[坚决|切实]做到直面问题、立行立改。"
     "(二)全面对标对表,精准制定举措。以任务台账的形式将反馈问题细化分解为{n2}项具体任务,对交办的问题线索和信访件进行分类研判、限时办结。"
     "(三)强化落地落实,拧紧责任链条。建立整改工作督办和问责机制,实行销账管理,做到逐项整改、逐一销账。"),
    ("{org_self}[高度重视|坚决扛牢政治责任],诚恳接受、全面认领反馈意见,构建坚强有力的领导机构,成立由主要负责人任组长、其他班子成员任副组长的整改工作领导小组,"
     "下设综合协调、督查督办、宣传报道{n}个工作组,[每周|每半月]调度一次整改进展,确保整改工作有力有序推进。"),
)
DISC_PARAS = (
    "同时,成立以{head_disc}{disc_leader}同志为组长的督查工作组,开展集中和专项督查{n}次,推动整改落地见效。",
    "{head_disc}{disc_leader}同志牵头对整改情况开展日常监督,对整改不力的{n}个单位进行约谈。",
)
PLAN_PARAS = (
    "{org_self}将坚持目标不变、标准不降、力度不减,持续抓好未完成事项的整改,巩固整改成果,坚决防止问题反弹回潮。",
    "一是进一步落实整改任务,对已经完成的整改任务组织“回头看”,对需要长期坚持的整改任务紧盯不放、久久为功。二是进一步健全制度机制,深入分析反馈问题的共性和个性原因,研究制定管用、长效的制度机制。三是进一步抓好成果运用,把{base}整改与推动中心工作结合起来,以整改实效推动高质量发展。",
    "下一步,{org_self}将对照{base}反馈意见和整改要求,持续抓好整改成果的运用和举一反三,着力构建长效机制,以钉钉子精神抓到位、抓彻底、抓长效。",
)
PLAN_LINES = (
    "(一)进一步提高政治站位。把{base}整改作为重大政治任务,做到思想不松、力度不减、标准不降。",
    "(二)进一步巩固整改成果。对已完成的整改事项适时开展“回头看”,防止问题反弹。",
    "(三)进一步健全长效机制。把整改中形成的好经验、好做法以制度形式固定下来。",
    "(四)进一步推动事业发展。把{base}整改与推进年度重点工作结合起来,以整改实效促进各项工作提质增效。",
)
SECTION_ORG = ("组织整改落实情况", "组织整改落实情况", "整改工作开展情况", "加强组织领导,压实整改责任", "整改落实工作总体情况")
SECTION_DONE = ("集中整改期内已完成的整改事项", "集中整改期内已完成的整改事项", "{base}反馈问题整改落实情况", "反馈问题整改进展情况")
SECTION_OPEN = ("集中整改期内未完成或需长期坚持的整改事项", "尚未完成的整改事项", "需要长期坚持的整改事项", "集中整改期内未完成或长期整改的整改事项")
SECTION_PLAN = ("下一步整改工作安排", "下一步整改工作安排", "下一阶段工作计划", "下一步工作打算")
ROADS = "建设人民解放和平新华文化中山长江迎宾滨河朝阳"


def _check_pools() -> None:
    """Guard against template edits that would break parsing: no inline status phrase in a
    measure (it would decide the status of an inline-status problem), and no cue words of
    recurrence in a new problem's statement."""
    cues = ("仍然存在", "依然存在", "仍存在", "仍未", "未整改到位", "整改不彻底", "没有明显改善", "反弹", "又发现", "又出现",
            "再次", "屡查屡犯", "反复", "依然突出", "仍然突出", "仍较突出", "仍不到位", "均存在", "才阶段性")
    for th in THEMES:
        for m in th.measures:
            assert not any(p in m for p in INLINE_PHRASES), (th.key, m)
        if th.group != "rectification":
            for c in th.cores + th.details:
                assert not any(p in c for p in cues), (th.key, c)
    for m in GENERIC_MEASURES:
        assert not any(p in m for p in INLINE_PHRASES), m
    # 12.24小时… is not read as problem 12 (only 12.2019年… is): no statement starts with a
    # digit unless it is a year
    for th in THEMES:
        for t in th.cores + th.details:
            for alt in _parse(t)[0] if isinstance(_parse(t)[0], list) else [_parse(t)]:
                head = alt[0] if alt else ""
                assert not (isinstance(head, str) and head[:1].isdigit()), t
                assert not (isinstance(head, tuple) and head[0] in NUMBER_SLOTS), t


_check_pools()

# ----------------------------------------------------------------------------- units


@dataclass
class Body:
    """A publishing body: a unit, or the subordinate body of an attachment."""

    issuer: str  # 中共蘅溪县水利局党组 (title and signature)
    name: str  # 蘅溪县水利局 (inspected, recipient, policy prefix)
    org_self: str  # 局党组 / 镇党委 / 党工委 (how it calls itself)
    meeting: str  # 党组会议
    disc: str  # 派驻纪检组
    head_disc: str  # 纪检组长
    leader_role: str  # 局党组书记、局长
    subs: tuple[str, ...]  # anonymised subordinate units (某股室, 个别乡镇)
    groups: tuple[str, ...] = ("political", "discipline", "organisation", "economy", "livelihood")
    alias: str = ""  # (以下简称…) in the opening


@dataclass
class Unit:
    uid: str
    kind: str
    place: str
    body: Body
    upper: str  # the inspecting committee: 县委 / 区委 / 市委 / 省委
    base: str  # 巡察 / 巡视
    attachments: tuple[Body, ...] = ()
    phone: str = ""
    email: str = ""
    postbox: str = ""
    focus: tuple[int, ...] = ()  # indices of THEMES this unit's bulletins draw from
    pairs: set = field(default_factory=set)  # (theme, statement template) printed so far


@dataclass
class IssueRec:
    family: int
    theme: int
    core: int
    detail: int | None
    fixed: dict
    path: str
    pos: int
    year: int
    status: str
    choices: dict  # alternatives taken in the statement ("core", "detail"), replayed by restatements


def _person(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _places(seed: int, count: int) -> list[str]:
    rng = random.Random(f"{seed}:places")
    pool = [a + b for a in PLACE_FIRST for b in PLACE_SECOND]
    rng.shuffle(pool)
    return pool[:count]


BUREAU_SUBS = ("某股室", "个别股室", "某下属单位", "个别下属单位", "有的部门", "某二级机构")
TOWN_SUBS = ("某村", "个别村", "有的社区", "部分村", "某站所")
COUNTY_SUBS = ("某乡镇", "个别乡镇", "有的部门", "某街道", "个别单位", "某国企")
PARK_SUBS = ("某园区", "个别园区", "某国企", "有的部局", "某国有公司", "个别企业")
SOE_SUBS = ("某子公司", "个别子公司", "某国企子公司", "有的部门", "某项目公司")
INST_SUBS = ("某科室", "个别科室", "有的部门", "某分院")


def make_unit(seed: int, index: int, places: list[str], salt: int = 0) -> Unit:
    rng = random.Random(f"{seed}:unit:{index}:{salt}")
    place = places[(index + 7 * salt) % len(places)]
    r = random.Random(f"{seed}:place:{place}").random()  # a place is a county, a district or a city, once for all
    level = "县" if r < 0.6 else ("区" if r < 0.8 else "市")
    loc = place + level
    upper_local = level + "委"
    k = rng.random()
    atts: list[Body] = []
    if k < 0.44:
        kind = "bureau"
        dept, _, head, party = DEPARTMENTS[(index * 7 + rng.randrange(len(DEPARTMENTS))) % len(DEPARTMENTS)]
        name = loc + dept
        short_self = "局" if dept.endswith("局") else ("社" if dept.endswith("社") else "中心")
        body = Body(f"中共{name}{party}", name, f"{short_self}党组", "党组会议", "派驻纪检监察组", "纪检监察组组长",
                    f"{short_self}党组书记、{head}", BUREAU_SUBS, alias=level + dept)
        upper, base = upper_local, "巡察"
    elif k < 0.49:
        kind = "organ"
        organ, _, head = PARTY_ORGANS[rng.randrange(len(PARTY_ORGANS))]
        name = loc + organ
        body = Body(f"中共{name}", name, "部务会" if organ.endswith("部") else "委员会", "部务会议" if organ.endswith("部") else "委务会议",
                    "派驻纪检监察组", "纪检监察组组长", f"{level}委常委、{organ[1:]}{head}" if organ.endswith("部") else f"{level}委常委、政法委{head}",
                    BUREAU_SUBS, ("political", "discipline", "organisation"))
        upper, base = upper_local, "巡察"
    elif k < 0.62:
        kind = "town"
        town = rng.choice(PLACE_FIRST) + rng.choice(TOWN_SECOND)
        if level == "区":
            name = f"{loc}{town}街道"
            body = Body(f"中共{name}工作委员会", name, "街道党工委", "党工委会议", "街道纪工委", "纪工委书记", "街道党工委书记", TOWN_SUBS,
                        alias=f"{town}街道")
        else:
            name = f"{loc}{town}镇"
            body = Body(f"中共{name}委员会", name, "镇党委", "党委会议", "镇纪委", "纪委书记", "镇党委书记", TOWN_SUBS, alias=f"{town}镇")
        upper, base = upper_local, "巡察"
    elif k < 0.70:
        kind = "county"
        name = loc
        if level == "市":
            upper, base = "省委", "巡视"
        else:
            upper, base = ("省委", "巡视") if rng.random() < 0.5 else ("市委", "巡察")
        body = Body(f"中共{name}委员会", name, f"{level}委", f"{level}委常委会会议", f"{level}纪委监委", f"{level}纪委书记",
                    f"{level}委书记", COUNTY_SUBS)
        atts = [
            Body(f"中共{loc}纪律检查委员会", f"{loc}纪委监委", f"{level}纪委监委", "常委会会议", "机关纪委", "机关纪委书记",
                 f"{level}委常委、{level}纪委书记、{level}监委主任", ("某派驻纪检监察组", "个别乡镇纪委", "有的派驻机构"),
                 ("discipline", "organisation")),
            Body(f"中共{loc}委组织部", f"{loc}委组织部", "部务会", "部务会议", "派驻纪检监察组", "纪检监察组组长",
                 f"{level}委常委、组织部部长", ("某乡镇", "个别单位", "有的党组织"), ("organisation", "discipline")),
        ]
    elif k < 0.80:
        kind = "park"
        park, pshort = PARK_KINDS[rng.randrange(len(PARK_KINDS))]
        name = place + park
        upper, base = ("省委", "巡视") if rng.random() < 0.4 else ("市委", "巡察")
        body = Body(f"中共{name}工作委员会", name, "党工委", "党工委会议", "纪工委", "纪工委书记", "党工委书记", PARK_SUBS, alias=pshort)
        atts = [
            Body(f"中共{name}纪律检查工作委员会", f"{place}{pshort}纪工委", "纪工委", "纪工委会议", "纪工委", "纪工委副书记",
                 "党工委委员、纪工委书记", ("某园区", "个别部局", "某国企"), ("discipline", "organisation")),
            Body(f"中共{name}工作委员会党群工作部", f"{place}{pshort}党群工作部", "党群工作部", "部务会议", "纪工委", "纪工委书记",
                 "党工委委员、党群工作部部长", ("某园区", "个别企业", "有的党组织"), ("organisation", "political")),
            Body(f"中共{place}{pshort}投资发展集团有限公司委员会", f"{place}{pshort}投资发展集团有限公司", "集团党委", "党委会议",
                 "集团纪委", "纪委书记", "集团党委书记、董事长", SOE_SUBS, ("economy", "discipline", "organisation")),
        ]
    elif k < 0.91:
        kind = "soe"
        soe = SOE_NAMES[rng.randrange(len(SOE_NAMES))]
        name = loc + soe
        upper, base = upper_local if level != "区" else "区委", "巡察"
        body = Body(f"中共{name}委员会", name, "公司党委", "党委会议", "公司纪委", "纪委书记", "公司党委书记、董事长", SOE_SUBS,
                    ("political", "discipline", "organisation", "economy"))
        atts = [
            Body(f"中共{name}纪律检查委员会", f"{name}纪委", "公司纪委", "纪委会议", "公司纪委", "纪委副书记",
                 "公司党委委员、纪委书记", SOE_SUBS, ("discipline",)),
            Body(f"中共{loc}{soe[:2]}置业有限公司支部委员会", f"{loc}{soe[:2]}置业有限公司", "公司党支部", "支委会议", "公司纪委",
                 "纪检委员", "公司党支部书记、总经理", SOE_SUBS, ("economy", "discipline", "organisation")),
        ]
    else:
        kind = "institution"
        inst, ishort, head = INSTITUTIONS[rng.randrange(len(INSTITUTIONS))]
        name = loc + inst
        self_ = "院党委" if ishort == "医院" else "学校党委"
        body = Body(f"中共{name}委员会", name, self_, "党委会议", "纪委", "纪委书记", f"{self_}书记、{head}", INST_SUBS,
                    ("political", "discipline", "organisation", "livelihood"), alias=level + inst)
        upper, base = upper_local, "巡察"
    # the unit's themes: every party-building theme of its groups, and a few of the sector ones,
    # so one unit's rounds come back to the same matters and two units differ
    common = [i for i, th in enumerate(THEMES) if th.group in ("political", "discipline", "organisation")
              and th.key not in ("industry", "innovation")]
    sector = [i for i, th in enumerate(THEMES) if th.group in ("economy", "livelihood") or th.key in ("industry", "innovation")]
    focus = sorted(set(rng.sample(common, rng.randint(16, 22)) + rng.sample(sector, rng.randint(6, 10))))
    letters = "abcdefghjkmnpqrstwxyz"
    return Unit(
        uid=f"U{index + 1:05d}", kind=kind, place=place, body=body, upper=upper, base=base, attachments=tuple(atts),
        phone=f"0000-{rng.randint(1000000, 9999999)}",
        email="".join(rng.choice(letters) for _ in range(rng.randint(5, 9))) + rng.choice(("@example.com", "@example.org", "@example.net")),
        postbox=f"{loc}{rng.choice(ROADS)}{rng.choice(ROADS)}路{rng.randint(1, 399)}号",
        focus=tuple(focus),
    )


def _years(rng: random.Random, k: int) -> list[int]:
    for _ in range(50):
        ys = sorted(rng.sample(range(2018, 2026), k))
        if all(b - a >= 2 for a, b in pairwise(ys)) or rng.random() < 0.15:
            return ys
    return sorted(rng.sample(range(2018, 2026), k))


def _d(dt: date) -> str:
    return f"{dt.year}年{dt.month}月{dt.day}日"


@dataclass
class Inspection:
    year: int
    start: date
    end: date
    feedback: date
    published: date
    team: str
    kind: str  # 巡察 / 常规巡察 / 专项巡视 …
    base: str
    upper: str
    roundtext: str


def make_inspection(rng: random.Random, unit: Unit, year: int) -> Inspection:
    start = date(year, rng.randint(2, 5 if year == 2025 else 10), rng.randint(1, 28))
    end = start + timedelta(days=rng.randint(30, 72))
    feedback = end + timedelta(days=rng.randint(15, 50))
    published = min(feedback + timedelta(days=rng.randint(60, 150)), date(2025, 12, 30))
    if published <= feedback:
        published = feedback + timedelta(days=30)
    base = unit.base
    t = rng.randint(1, 15 if base == "巡视" else 6)
    team = f"{unit.upper}第{cn_num(t)}{base}组"
    r = rng.random()
    kind = base if r < 0.7 else ("常规" + base if r < 0.8 else ("专项" + base if r < 0.92 else "机动" + base))
    term = rng.choice(("十二", "十三", "十四", "十五"))
    roundtext = f"{term}届{unit.upper}第{cn_num(rng.randint(1, 9))}轮"
    return Inspection(year, start, end, feedback, published, team, kind, base, unit.upper, roundtext)


# ----------------------------------------------------------------------------- problems


@dataclass
class Prob:
    group: str
    text: str  # the statement, as the pipeline will read it
    status: str
    measures: list[str]
    parts: list[str] = field(default_factory=list)
    part_measures: list[str] = field(default_factory=list)
    issue: IssueRec | None = None
    link: tuple | None = None  # (earlier path, earlier pos, kind)


class Corpus:
    """Generation state shared by all files: the seed, the problem texts seen so far."""

    def __init__(self, seed: int):
        self.seed = seed
        self.seen: set[str] = set()
        self.families = 0
        self.collisions = 0
        self.reprinted = 0  # fresh problems that had to reuse a statement template of their unit

    def unique(self, make) -> str:
        """The first of ``make(0)``, ``make(1)`` … not seen before in the corpus (from the fourth
        attempt on, ``make`` adds a clause with figures, so this ends quickly)."""
        attempt = 0
        while True:
            text = make(attempt)
            if text not in self.seen:
                self.seen.add(text)
                return text
            self.collisions += 1
            attempt += 1


def _measures(rng, theme: Theme, core: int, slots: dict, statement: str) -> list[str]:
    """The measures of one problem: the theme's measures that go with its statement template
    (measure i goes with template i mod the number of templates), now and then one more of the
    theme, none to two generic ones, often one that names the problem, and a policy if none was
    named: two different findings of one theme are not rectified with the same list."""
    own = [t for i, t in enumerate(theme.measures) if i % len(theme.cores) == core]
    other = [t for i, t in enumerate(theme.measures) if i % len(theme.cores) != core]
    rng.shuffle(own)
    tpls = own[:3]
    if other and (rng.random() < 0.35 or len(tpls) < 2):
        tpls.append(other[rng.randrange(len(other))])
    for g in rng.sample(GENERIC_MEASURES, rng.choice((0, 1, 1, 2, 2))):
        tpls.insert(rng.randrange(len(tpls) + 1), g)
    has_pol = any("{pol}" in t for t in tpls)
    out = []
    for t in tpls:
        if "{pol}" in t:
            slots["pol"] = "《" + expand(rng.choice(theme.policies), rng, slots) + "》"
        tail = MEASURE_TAILS[rng.randrange(len(MEASURE_TAILS))] if rng.random() < 0.3 else ""
        out.append(expand(t, rng, slots) + tail + "。")
    if rng.random() < 0.5:
        clause = _first_clause(statement)
        if clause:
            out.insert(rng.choice((0, 0, len(out))), expand(ECHO_MEASURES[rng.randrange(len(ECHO_MEASURES))], rng,
                                                            {**slots, "clause": clause}) + "。")
    if not has_pol and rng.random() < 0.4:
        title = expand(rng.choice(theme.policies), rng, slots)
        verb = rng.choice(POLICY_VERBS)
        who = rng.choice(("", "", "", slots["org_self"]))
        tail = rng.choice(("", ",从制度上堵塞漏洞", ",明确责任分工和工作流程", ",推动整改常态化长效化"))
        out.append(f"{who}{verb}《{title}》{tail}。")
    return out


_LEAD_RE = re.compile(r"^(?:\d{4}年(?:至\d{4}年)?(?:以来)?,)")


def _first_clause(statement: str) -> str:
    """The first clause of a statement without a leading date or a recurrence wrapper: what a
    measure echoes (针对“个别河流水质监测未达标”的问题…)."""
    for clause in re.split(r"[,。;]", statement):
        c = _LEAD_RE.sub("", clause)
        if 6 <= len(c) <= 28 and not re.search(r"巡察|巡视|审计|上轮|本轮|“|\d", c):
            return c
    return ""


def _join_measures(rng, ms: list[str], enumerate_: bool, heads: bool = False) -> str:
    if enumerate_ and len(ms) >= 2:
        if heads:
            hs = rng.sample(MEASURE_HEADS, len(ms)) if len(ms) <= len(MEASURE_HEADS) else [""] * len(ms)
            return "".join(cn_num(i + 1) + "是" + h + m for i, (h, m) in enumerate(zip(hs, ms)))
        return "".join(cn_num(i + 1) + "是" + m for i, m in enumerate(ms))
    return "".join(ms)


# ----------------------------------------------------------------------------- one bulletin


@dataclass
class Style:
    numbering: str
    status: str  # first, after, bracket, bare, inline
    lp: str
    rp: str
    colon: str
    sep: str
    slabel: str
    mlabel: str
    words: dict
    enum: float  # share of problems whose measures are enumerated 一是…
    heads: bool  # enumerated measures open with a short head (一是加强建章立制。…)
    digits: bool = False  # numbering in full-width digits (１２．, 问题１２:, (１))

    def num(self, k: int) -> str:
        """A number as the bulletin's numbering prints it."""
        return str(k).translate(_WIDE_DIGITS) if self.digits else str(k)


def _style(rng: random.Random, n_problems: int, attachment: bool, width: str = "ascii") -> Style:
    choices = [("num", 30), ("num_restart", 12), ("num_heading", 15), ("label", 7), ("num_label", 10),
               ("paren_label", 9), ("cat_single", 17 if n_problems <= 16 else 0)]
    if attachment and n_problems <= 16:
        choices.append(("cat_single", 25))
    numbering = rng.choices([c for c, _ in choices], [w for _, w in choices])[0]
    status = rng.choices(("first", "after", "bracket", "bare", "inline"), (52, 20, 10, 8, 10))[0]
    words = {k: rng.choice(v) for k, v in STATUS_LINE_WORDS.items()}
    # Lines are written with ASCII brackets, colons and commas; a full-width file has them all
    # turned to full-width when it is written (see generate). The separator after a number:
    # 1. / 1、 / 1． (U+FF0E), the full-width point more often in full-width files.
    seps = {"ascii": (85, 10, 5), "fullwidth": (55, 25, 20), "fullwidth-digits": (0, 35, 65)}[width]
    return Style(numbering, status, "(", ")", ":",
                 rng.choices((".", "、", "\uff0e"), seps)[0], rng.choice(STATUS_LABELS), rng.choice(MEASURE_LABELS),
                 words, rng.choice((0.3, 0.6, 0.8, 0.95)), rng.random() < 0.5, width == "fullwidth-digits")


class BulletinWriter:
    """Composes one bulletin (main or attachment) into lines, recording its problems."""

    def __init__(self, corpus: Corpus, rng: random.Random, unit: Unit, body: Body, insp: Inspection, kind: str,
                 path: str, pos0: int, earlier: list[IssueRec], prevs: list[tuple[int, str]], restate: list[Prob],
                 width: str = "ascii"):
        self.c, self.rng, self.unit, self.body, self.insp = corpus, rng, unit, body, insp
        self.width = width  # the file's punctuation (WIDTHS); the lines are turned to it in generate
        self.kind = kind  # the kind printed in the opening (提级巡视 for an attachment)
        self.path, self.pos0 = path, pos0
        self.earlier, self.prevs, self.restate = earlier, prevs, restate
        self.focus = unit.focus
        cy = insp.year
        self.slots = dict(NUMBER_SLOTS)
        self.slots.update(
            U=body.name, org=body.org_self, org_self=body.org_self, meeting=body.meeting, disc=body.disc,
            head_disc=body.head_disc, upper=insp.upper, base=insp.base, cy=str(cy),
            y=lambda r: str(r.randint(cy - 4, cy - 1)), y0=lambda r: str(r.randint(cy - 3, cy - 1)),
            sub=lambda r: r.choice(body.subs), soe=lambda r: r.choice(("某国企", "个别国企", "某国有公司", "某国企子公司")),
        )
        self.probs: list[Prob] = []

    # problems -------------------------------------------------------------------------------

    def _new_issue_text(self, theme: Theme, core: int, detail: int | None, fixed: dict, wrap: tuple | None,
                        prior: dict | None = None) -> tuple[str, dict]:
        rng, cy = self.rng, self.insp.year
        slots = dict(self.slots)
        slots.update(fixed)
        prior = prior or {}
        taken: dict = {}

        def make(attempt: int) -> str:
            y = rng.randint(cy - 5, cy - 2)
            slots["y"], slots["y1"] = str(y), str(rng.randint(y + 1, cy - 1))
            core_t = theme.cores[core]
            text, taken["core"] = expand_like(core_t, rng, slots, prior.get("core"), 0.7)
            if detail is not None:
                det_t = theme.details[detail]
                det, taken["detail"] = expand_like(det_t, rng, slots, prior.get("detail"), 0.7)
                lead_ok = not det_t.startswith(("涉及", "[涉及", "[年度目标", "[相关工作"))
                text = f"{det},{text}" if lead_ok and rng.random() < 0.3 else f"{text},{det}"
            if attempt >= 3:  # a short statement met before: add specifics
                text += "," + expand(EXTRA_DETAILS[rng.randrange(len(EXTRA_DETAILS))], rng, slots)
            if "{y}" not in core_t and rng.random() < 0.22:
                text = rng.choice((f"{slots['y']}年以来,", f"{slots['y']}年至{slots['y1']}年,", "")) + text
            if wrap is not None:
                tpl, extra = wrap
                s2 = dict(slots)
                s2.update(extra)
                s2["core"] = text
                s2["short"] = theme.short
                text = expand(tpl, rng, s2)
            return text + "。"

        return self.c.unique(make), taken

    def _prob(self, theme_i: int, core: int, detail: int | None, fixed: dict, status: str, wrap=None,
              family: int | None = None, link=None, prior: dict | None = None) -> Prob:
        rng = self.rng
        theme = THEMES[theme_i]
        text, taken = self._new_issue_text(theme, core, detail, fixed, wrap, prior)
        slots = dict(self.slots)
        slots.update(fixed)
        slots["y"] = lambda r: str(r.randint(self.insp.year - 4, self.insp.year - 1))
        ms = _measures(rng, theme, core, slots, text)
        if family is None:
            self.c.families += 1
            family = self.c.families
        rec = IssueRec(family, theme_i, core, detail, fixed, self.path, -1, self.insp.year, status, taken)
        group = "rectification" if wrap is not None and rng.random() < 0.5 else theme.group
        return Prob(group, text, status, ms, issue=rec, link=link)

    def _fresh(self, theme_i: int, status: str, wrap=None, core: int | None = None) -> Prob:
        rng = self.rng
        theme = THEMES[theme_i]
        if core is None:
            core = rng.randrange(len(theme.cores))
        self.unit.pairs.add((theme_i, core))
        detail = rng.randrange(len(theme.details)) if theme.details and rng.random() < 0.55 else None
        fixed = {k: rng.choice(v) for k, v in theme.fixed}
        return self._prob(theme_i, core, detail, fixed, status, wrap)

    def _again(self, rec: IssueRec, status: str, wrap, kind: str) -> Prob:
        """A restatement of ``rec``: same theme and (mostly) statement template and fixed slots;
        wording choices, figures, clause order, details and measures drawn again."""
        rng = self.rng
        theme = THEMES[rec.theme]
        core = rec.core
        others = [c for c in range(len(theme.cores)) if c != rec.core and (rec.theme, c) not in self.unit.pairs]
        if kind == "round" and others and rng.random() < 0.1:
            # the same matter from another angle: same theme, a statement the unit has not
            # printed ("round-theme"; a new issue family)
            core = rng.choice(others)
            self.unit.pairs.add((rec.theme, core))
            kind = "round-theme"
        detail = rec.detail
        if theme.details and rng.random() < 0.4:
            detail = None if detail is not None and rng.random() < 0.5 else rng.randrange(len(theme.details))
        fixed = dict(rec.fixed)
        for k, v in theme.fixed:
            if rng.random() < 0.15:
                fixed[k] = rng.choice(v)
        prior = {}
        if core == rec.core:
            prior["core"] = rec.choices.get("core")
        if detail == rec.detail:
            prior["detail"] = rec.choices.get("detail")
        family = rec.family if kind != "round-theme" else None  # another statement: another issue
        return self._prob(rec.theme, core, detail, fixed, status, wrap, family, (rec.path, rec.pos, kind), prior)

    def _statuses(self, n: int, open_section: bool) -> list[str]:
        rng = self.rng
        pc = rng.uniform(0.4, 0.92)
        out = []
        for _ in range(n):
            if rng.random() < pc:
                out.append("Completed")
            else:
                out.append(rng.choices(("PartiallyCompleted", "InProgress", "LongTerm", "NotCompleted"), (70, 12, 10, 8))[0])
        if open_section and not any(s in ("InProgress", "LongTerm", "NotCompleted") for s in out):
            for _ in range(rng.randint(1, min(3, n - 1))):
                out[rng.randrange(n)] = rng.choice(("LongTerm", "NotCompleted", "InProgress"))
        return out

    def problems(self, n: int, open_section: bool) -> list[Prob]:
        rng = self.rng
        statuses = self._statuses(n, open_section)
        probs: list[Prob] = []
        used: set[tuple[int, int]] = set()  # (theme, statement template) of this bulletin
        k = 0
        # restated problems of the main bulletin (attachments)
        for p in self.restate:
            if k >= n:
                break
            rec = p.issue
            probs.append(self._again(rec, statuses[k], None, "attachment"))
            used.add((rec.theme, probs[-1].issue.core))
            k += 1
        # problems of earlier rounds of this unit
        if self.earlier and k < n:
            latest: dict[int, IssueRec] = {}
            for e in self.earlier:
                latest[e.family] = e  # the family's latest statement
            cands = [e for e in self.earlier if latest[e.family] is e]
            r = min(len(cands), max(1, round(n * rng.uniform(0.15, 0.35))), n - k)
            weights = [3 if e.status != "Completed" else 1 for e in cands]
            picked: list[IssueRec] = []
            seen_f: set[int] = set()
            for _ in range(r * 3):
                if len(picked) >= r:
                    break
                e = rng.choices(cands, weights)[0]
                if e.family in seen_f:
                    continue
                seen_f.add(e.family)
                picked.append(e)
            for e in picked:
                probs.append(self._again(e, statuses[k], self._wrap(e), "round"))
                used.add((e.theme, probs[-1].issue.core))
                k += 1
        # new problems: a (theme, statement template) the unit has not printed before, one
        # theme per bulletin while they last; a few name rounds before the corpus or an audit
        themes_used = {p.issue.theme for p in probs}
        pool = [i for i in self.focus if THEMES[i].group in self.body.groups] or list(self.focus)
        rect = [i for i, th in enumerate(THEMES) if th.group == "rectification"]
        while k < n:
            if rng.random() < 0.04:
                ti = rng.choice(rect)
                cores = [c for c in range(len(THEMES[ti].cores)) if (ti, c) not in self.unit.pairs]
                if not cores:
                    continue
                p = self._fresh(ti, statuses[k], core=rng.choice(cores))
            else:
                open_ = [(t, c) for t in pool for c in range(len(THEMES[t].cores)) if (t, c) not in self.unit.pairs]
                pick = [tc for tc in open_ if tc[0] not in themes_used] or open_
                if pick:
                    ti, core = pick[rng.randrange(len(pick))]
                else:  # the unit has printed every statement of its themes: print one again
                    ti, core = pool[rng.randrange(len(pool))], None
                    self.c.reprinted += 1
                wrap = self._wrap_outside() if rng.random() < 0.05 else None
                p = self._fresh(ti, statuses[k], wrap, core=core)
            themes_used.add(ti)
            probs.append(p)
            k += 1
        return probs

    def _wrap(self, e: IssueRec) -> tuple:
        """A recurrence wrapper naming the earlier round(s) of ``e``'s family."""
        rng = self.rng
        prev_rounds = [t for y, t in self.prevs if y <= e.year]
        prev = next((t for y, t in self.prevs if y == e.year), prev_rounds[-1] if prev_rounds else self.prevs[-1][1])
        body_kind = f"{self.insp.upper}{self.insp.base}"
        extra = {"prev": prev, "bodykind": body_kind, "cur": self.insp.base}
        older = [t for y, t in self.prevs if y < e.year]
        if older and rng.random() < 0.5:
            extra["prev2"], extra["prev"] = prev, older[-1]
            return RECUR_TWO, extra
        if rng.random() < 0.5:
            return rng.choice(RECUR_PRE), extra
        tpl = rng.choice(RECUR_POST)
        if "上轮" in tpl and e.year != self.prevs[-1][0]:
            tpl = RECUR_POST[0]  # 上轮 is the latest earlier round only
        return tpl, extra

    def _wrap_outside(self) -> tuple:
        rng = self.rng
        first = self.prevs[0][0] if self.prevs else self.insp.year
        y = rng.randint(min(first, self.insp.year) - 4, min(first, self.insp.year) - 1)
        prev = f"{y}年{self.insp.upper}{self.insp.base}" if rng.random() < 0.7 else f"{y}年{rng.choice(('县', '市'))}审计局审计"
        tpl = rng.choice(RECUR_PRE)
        return tpl, {"prev": prev, "bodykind": f"{self.insp.upper}{self.insp.base}", "cur": self.insp.base}

    # rendering ------------------------------------------------------------------------------

    def render(self, index: int, n: int, attach_list: list[tuple[str, str]]) -> list[str]:
        rng, body, insp = self.rng, self.body, self.insp
        open_section = rng.random() < 0.35
        probs = self.problems(n, open_section)
        st = _style(rng, n, index > 0, self.width)
        slots = self.slots
        L: list[str] = []
        title_body = rng.choice((insp.base, f"{insp.upper}{insp.base}", f"{insp.upper}{insp.base}", f"{insp.team}{insp.base}反馈意见"))
        if index > 0:
            title_body = self.kind if self.kind != insp.base else insp.base
        title = f"关于{title_body}整改进展情况的通报"
        if index > 0:
            L += [f"附件{index}", body.issuer, title]
        elif rng.random() < 0.6:
            L += [MARKER, body.issuer, title, ""]
        else:
            L += [MARKER, body.issuer + title, ""]
        # opening
        d2 = _d(insp.end) if rng.random() < 0.6 or insp.end.year != insp.start.year else f"{insp.end.month}月{insp.end.day}日"
        alias = rng.random() < 0.2
        target = body.issuer if rng.random() < 0.4 else body.name
        if alias and body.alias:
            target = f"{body.name}{st.lp}以下简称{body.alias}{st.rp}"
        recipient = body.issuer.removeprefix("中共")
        o = OPENINGS[rng.randrange(len(OPENINGS))]
        opening = expand(o, rng, {"upper": insp.upper, "d1": _d(insp.start), "d2": d2, "team": insp.team, "target": target,
                                  "kind": self.kind, "fb": _d(insp.feedback), "recipient": recipient, "base": insp.base,
                                  "roundtext": insp.roundtext})
        summary = self._summary(probs)
        where = rng.random()
        if summary and where < 0.4:
            opening += summary
            summary = ""
        L.append(opening)
        if summary and where < 0.6:
            L.append(summary)
            summary = ""
        # 一、organisation
        sec = 1
        L.append(f"{cn_num(sec)}、{rng.choice(SECTION_ORG)}")
        oslots = dict(slots)
        leader = _person(rng)
        shorts = rng.sample([THEMES[p.issue.theme].short for p in probs], 2) if len(probs) >= 2 else ["整改", "整改"]
        oslots.update(nlead=str(rng.randint(2, max(2, min(12, n // 2)))), leader=leader, leader_role=body.leader_role, disc_leader=_person(rng), short1=shorts[0], short2=shorts[1])
        L.append(expand(rng.choice(ORG_PARAS), rng, oslots))
        if rng.random() < 0.75:
            L.append(expand(rng.choice(ORG_STEPS), rng, oslots))
        L.append(expand(rng.choice(LEADER_PARAS), rng, oslots))
        if rng.random() < 0.4:
            L.append(expand(rng.choice(DISC_PARAS), rng, oslots))
        # 二、done (and 三、open)
        sec += 1
        L.append(f"{cn_num(sec)}、{expand(rng.choice(SECTION_DONE), rng, slots)}")
        if summary:
            L.append(summary)
        elif rng.random() < 0.15:
            L.append("对照反馈意见,逐项制定整改措施,现将具体整改情况公布如下:")
        done = [p for p in probs if not (open_section and p.status in ("InProgress", "LongTerm", "NotCompleted"))]
        rest = [p for p in probs if p not in done]
        order: list[Prob] = []
        counter = {"m": 0}
        order += self._items(L, done, st, counter, first=True)
        if rest:
            sec += 1
            L.append(f"{cn_num(sec)}、{rng.choice(SECTION_OPEN)}")
            order += self._items(L, rest, st, counter, first=False)
        # plan, contact, signature
        sec += 1
        L.append(f"{cn_num(sec)}、{rng.choice(SECTION_PLAN)}")
        r = rng.random()
        if r < 0.4:
            L.append(expand(rng.choice(PLAN_PARAS), rng, slots))
        elif r < 0.7:
            L.append(expand(PLAN_PARAS[1], rng, slots))
        else:
            L += [expand(t, rng, slots) for t in PLAN_LINES[:rng.randint(2, 4)]]
        contact = f"欢迎广大干部群众对{insp.base}整改落实情况进行监督。如有意见建议,请及时向我们反映。联系电话:{self.unit.phone}"
        if rng.random() < 0.5:
            contact += f";邮政信箱:{self.unit.postbox}"
        contact += f";电子邮箱:{self.unit.email}。"
        L.append(contact)
        if attach_list:
            for i, (iss, kind) in enumerate(attach_list):
                L.append(("附件:" if i == 0 else "") + f"{st.num(i + 1)}{'．' if st.digits else '.'}{iss}《关于{kind}整改进展情况的通报》")
        L += [body.issuer, _d(insp.published)]
        self.probs = order
        return L

    def _summary(self, probs: list[Prob]) -> str:
        rng = self.rng
        r = rng.random()
        if r >= 0.45:
            return ""
        n = len(probs)
        c = {k: sum(1 for p in probs if p.status == k) for k in STATUS_KEYS}
        who = rng.choice(("", f"{self.insp.team}", f"{self.insp.base}组"))
        # the total, now and then with the number of aspects (categories) before it:
        # 反馈问题4个方面25个, 反馈意见4个方面25个问题
        aspects = len({p.group for p in probs})
        q = rng.random()
        if aspects >= 2 and q < 0.3:
            total = f"反馈问题{aspects}个方面{n}个" if q < 0.2 else f"反馈意见{aspects}个方面{n}个问题"
        else:
            total = f"反馈问题{n}个"
        if r < 0.08:
            return f"{who}共{total}。"
        rate = 100 * c["Completed"] / n
        rate_s = f"{rate:.1f}".rstrip("0").rstrip(".")
        if r < 0.2:
            return f"{who}{total},已完成整改{c['Completed']}个,整改完成率{rate_s}%。"
        if r < 0.33 and c["NotCompleted"] == 0:
            parts = [f"已完成整改{c['Completed']}个"]
            if c["PartiallyCompleted"]:
                parts.append(f"阶段性完成{c['PartiallyCompleted']}个")
            if c["InProgress"]:
                parts.append(f"{rng.choice(('正在整改', '持续推进'))}{c['InProgress']}个")
            if c["LongTerm"]:
                parts.append(f"需长期坚持{c['LongTerm']}个")
            return f"{who}{total}," + ",".join(parts) + "。"
        return f"{who}{total},已完成整改{c['Completed']}个,尚未完成整改{n - c['Completed']}个。"

    def _items(self, L: list[str], probs: list[Prob], st: Style, counter: dict, first: bool) -> list[Prob]:
        """Categories and problems of one section, in the bulletin's numbering style."""
        rng = self.rng
        slots = self.slots
        by_group: dict[str, list[Prob]] = {}
        for p in probs:
            by_group.setdefault(p.group, []).append(p)
        groups = [g for g in GROUP_ORDER if g in by_group]
        if first and len(groups) > 1 and rng.random() < 0.3:
            head = groups[:-1] if groups[-1] == "rectification" else groups
            rng.shuffle(head)
            groups = head + (["rectification"] if "rectification" in groups and head is not groups else [])
        order: list[Prob] = []
        k = 0
        cats = st.numbering not in ("paren_label", "cat_single") and (first or rng.random() < 0.5)
        for gi, g in enumerate(groups):
            items = by_group[g]
            rng.shuffle(items)
            if cats:
                sent_t, noun_t = GROUPS[g]
                lab = f"{st.lp}{cn_num(gi + 1)}{st.rp}"
                if st.numbering == "num_heading":
                    noun = expand(rng.choice(noun_t), rng, slots)
                    L.append(f"{lab}在{noun}方面" if rng.random() < 0.7 else f"{lab}关于{noun}方面的问题")
                elif rng.random() < 0.85:
                    L.append(f"{lab}反馈问题{st.colon}{expand(rng.choice(sent_t), rng, slots)}")
                else:
                    L.append(f"{lab}{expand(rng.choice(sent_t), rng, slots)}。")
                if st.numbering in ("num_restart", "num_label"):
                    k = 0
            for p in items:
                k += 1
                counter["m"] += 1
                self._problem(L, p, st, k, counter["m"])
                order.append(p)
        return order

    def _problem(self, L: list[str], p: Prob, st: Style, k: int, m: int) -> None:
        rng = self.rng
        c = st.colon
        style = st.status
        word = st.words[p.status] if rng.random() < 0.9 else rng.choice(STATUS_LINE_WORDS[p.status])
        text = p.text
        nb = st.numbering
        sep = st.sep  # 12、2019年… and 12.2019年… are both problem 12
        nk, nm = st.num(k), st.num(m)
        if nb in ("num", "num_restart", "num_heading"):
            line = f"{nk}{sep}{text}"
        elif nb == "label":
            line = f"问题{nm}{c}{text}"
        elif nb == "num_label":
            line = f"{nk}{sep}问题{nm}{c}{text}"
        elif nb == "paren_label":
            line = f"{st.lp}{cn_num(k)}{st.rp}问题{nm}{c}{text}"
        else:
            line = f"{st.lp}{cn_num(k)}{st.rp}反馈问题{c}{text}"
        ms = list(p.measures)
        enum = rng.random() < st.enum
        # sub-items (1)(2) with their own measures: numbered problems, status first
        if style == "first" and nb in ("num", "num_restart", "num_heading", "num_label") and rng.random() < 0.04 and len(ms) >= 2:
            half = len(ms) // 2
            cut = text.find(",")
            if 0 < cut < len(text) - 3:
                L += [line, f"{st.slabel}{c}{word}",
                      f"{st.lp}{st.num(1)}{st.rp}{text[:cut]}。", f"{st.mlabel}{c}{_join_measures(rng, ms[:half], enum, st.heads)}",
                      f"{st.lp}{st.num(2)}{st.rp}{text[cut + 1:]}", f"{st.mlabel}{c}{_join_measures(rng, ms[half:], enum, st.heads)}"]
                return
        if style == "first":
            L += [line, f"{st.slabel}{c}{word}", f"{st.mlabel}{c}{_join_measures(rng, ms, enum, st.heads)}"]
        elif style == "after":
            if rng.random() < 0.12 and len(ms) >= 2:
                # an empty measures label, a (1)/(2) list (or 1./2. under 问题N: problems), then the status
                L += [line, f"{st.mlabel}{c}"]
                numbered = nb not in ("label", "paren_label", "cat_single")
                for i, mm in enumerate(ms):
                    point = "．" if st.digits else "."
                    L.append(f"{st.lp}{st.num(i + 1)}{st.rp}{mm}" if numbered or rng.random() < 0.5 else f"{st.num(i + 1)}{point}{mm}")
                L.append(f"{st.slabel}{c}{word}")
            else:
                L += [line, f"{st.mlabel}{c}{_join_measures(rng, ms, enum, st.heads)}", f"{st.slabel}{c}{word}"]
        elif style == "bracket":
            bword = rng.choice(("已完成", "已完成", "完成")) if p.status == "Completed" else word
            L += [f"{line}{st.lp}{bword}{st.rp}", f"{st.mlabel}{c}{_join_measures(rng, ms, enum, st.heads)}"]
        elif style == "bare":
            L += [line, f"{st.mlabel}{c}{_join_measures(rng, ms, enum, st.heads)}", rng.choice(STATUS_BARE_WORDS[p.status])]
        else:  # inline
            ms[-1] = ms[-1] + rng.choice(STATUS_INLINE[p.status])
            L += [line, f"{st.mlabel}{c}{_join_measures(rng, ms, enum, st.heads)}"]


# ----------------------------------------------------------------------------- corpus


def _n_problems(rng: random.Random) -> int:
    return max(5, min(40, round(rng.lognormvariate(math.log(15.0), 0.5))))


def _status_counts(probs: list[Prob]) -> dict[str, int]:
    return {k: sum(1 for p in probs if p.status == k) for k in STATUS_KEYS}


def generate(n: int, out: Path, seed: int = 0) -> dict:
    """Write ``n`` synthetic bulletins into ``out/bulletins/`` and ``out/manifest.json``; return
    the manifest.

    Files of an earlier run named ``synthetic-NNNNN.txt`` are removed first, from
    ``out/bulletins/`` and from ``out`` itself (where version 1 wrote them), so the bulletins
    folder holds exactly this corpus (other files are left alone). Paths in the manifest
    (``bulletins/synthetic-00001.txt``) are relative to ``out``, the folder holding the
    manifest."""
    out = Path(out)
    folder = out / BULLETIN_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for d in (out, folder):
        for f in sorted(d.iterdir()):
            if FILE_RE.match(f.name) and f.is_file():
                f.unlink()
    corpus = Corpus(seed)
    places = _places(seed, 360)
    width = max(5, len(str(n)))
    files: list[dict] = []
    totals = {k: 0 for k in STATUS_KEYS}
    widths = {w: 0 for w, _ in WIDTHS}
    n_bulletins = n_problems = n_bytes = n_links = 0
    unit_index = 0
    issuers: set[str] = set()
    while len(files) < n:
        salt = 0
        unit = make_unit(seed, unit_index, places)
        while unit.body.issuer in issuers:  # one issuer, one unit: its rounds are one family
            salt += 1
            unit = make_unit(seed, unit_index, places, salt)
        issuers.add(unit.body.issuer)
        urng = random.Random(f"{seed}:rounds:{unit_index}")
        unit_index += 1
        k = min(urng.choices((1, 2, 3, 4), (25, 35, 25, 15))[0], n - len(files))
        prevs: list[tuple[int, str]] = []
        earlier: list[IssueRec] = []
        for year in _years(urng, k):
            idx = len(files) + 1
            path = f"{BULLETIN_DIR}/synthetic-{idx:0{width}d}.txt"
            rng = random.Random(f"{seed}:file:{idx}")
            # the file's punctuation, from a Random of its own (the texts do not depend on it
            # beyond the numbering)
            wide = random.Random(f"{seed}:width:{idx}").choices([w for w, _ in WIDTHS], [s for _, s in WIDTHS])[0]
            insp = make_inspection(rng, unit, year)
            atts: list[Body] = []
            if unit.attachments and rng.random() < 0.42:
                atts = rng.sample(list(unit.attachments), rng.choice((1, 1, 2)))
            att_kind = ("提级" if rng.random() < 0.6 else "延伸") + insp.base
            main = BulletinWriter(corpus, rng, unit, unit.body, insp, insp.kind, path, 0, earlier, prevs, [], wide)
            lines = main.render(0, _n_problems(rng), [(a.issuer, att_kind) for a in atts])
            bulletins = [(unit.body.issuer, "", main.probs)]
            pos = len(main.probs)
            for ai, a in enumerate(atts, start=1):
                for q, p in enumerate(main.probs):
                    p.issue.pos = q
                restate = [p for p in rng.sample(main.probs, min(len(main.probs), rng.choice((0, 1, 1, 2))))]
                w = BulletinWriter(corpus, rng, unit, a, insp, att_kind, path, pos, [], prevs, restate, wide)
                lines += w.render(ai, rng.randint(5, 12), [])
                bulletins.append((a.issuer, f"附件{ai}", w.probs))
                pos += len(w.probs)
            # positions and the unit's ledger
            allp = [p for _, _, ps in bulletins for p in ps]
            links = []
            for q, p in enumerate(allp):
                p.issue.pos = q
                p.issue.path = path
                if p.link is not None:
                    links.append([q, p.link[0], p.link[1], p.link[2]])
            earlier.extend(p.issue for p in allp)
            prevs.append((year, _prev_text(rng, insp)))
            assert lines[0] == MARKER
            body_text = "\n".join(lines[1:]) + "\n"
            if wide != "ascii":  # every ASCII , : ; ( ) ! ? after the marker line
                body_text = _wide(body_text)
            data = (MARKER + "\n" + body_text).encode("utf-8")
            (out / path).write_bytes(data)
            widths[wide] += 1
            status = _status_counts(allp)
            for kk in STATUS_KEYS:
                totals[kk] += status[kk]
            n_bulletins += len(bulletins)
            n_problems += len(allp)
            n_bytes += len(data)
            n_links += len(links)
            files.append({
                "path": path,
                "unit": unit.body.issuer,
                "unit_id": unit.uid,
                "unit_kind": unit.kind,
                "width": wide,
                "year": year,
                "date": insp.published.isoformat(),
                "inspection": {"team": insp.team, "kind": insp.kind, "start": insp.start.isoformat(),
                               "end": insp.end.isoformat(), "feedback": insp.feedback.isoformat()},
                "bulletins": len(bulletins),
                "problems": len(allp),
                "status": status,
                "bytes": len(data),
                "per_bulletin": [{"issuer": iss, "attachment": lab, "problems": len(ps), "status": _status_counts(ps)}
                                 for iss, lab, ps in bulletins],
                "links": links,
                "families": [p.issue.family for p in allp],
            })
    manifest = {
        "generator": GENERATOR,
        "version": VERSION,
        "n": n,
        "seed": seed,
        "marker": MARKER,
        "paths": "relative to the folder holding this manifest",
        "bulletins": BULLETIN_DIR,
        "totals": {
            "files": len(files),
            "bulletins": n_bulletins,
            "problems": n_problems,
            "bytes": n_bytes,
            "mb": round(n_bytes / 1e6, 3),
            "units": len({f["unit_id"] for f in files}),
            "links": n_links,
            "families": corpus.families,
            "reprinted_templates": corpus.reprinted,
            "status": totals,
            "widths": widths,
            "mean_kb_per_file": round(n_bytes / 1000 / max(1, len(files)), 2),
            "mean_problems_per_bulletin": round(n_problems / max(1, n_bulletins), 2),
        },
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def _prev_text(rng: random.Random, insp: Inspection) -> str:
    """How a later bulletin names this round: 2019年县委巡察, 2021年6月市委巡察, 2020年省委巡视."""
    month = f"{insp.start.month}月" if rng.random() < 0.2 else ""
    return f"{insp.year}年{month}{insp.upper}{insp.base}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate N synthetic rectification bulletins for benchmarking.")
    ap.add_argument("n", type=int, help="number of files (bulletins, attachments aside)")
    ap.add_argument("out", type=Path, help="output folder: bulletins go to OUT/bulletins/, the manifest to OUT/manifest.json")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("N must be at least 1")
    t0 = time.perf_counter()
    m = generate(args.n, args.out, args.seed)
    t = m["totals"]
    wide = t["files"] - t["widths"]["ascii"]
    print(f"{t['files']} files, {t['bulletins']} bulletins, {t['problems']} problems, {t['mb']:.2f} MB, "
          f"{wide} full-width ({t['widths']['fullwidth-digits']} with full-width numbering) "
          f"-> {args.out / BULLETIN_DIR}/, manifest {args.out / 'manifest.json'} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
