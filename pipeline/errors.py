"""Coded, actionable messages (in the manner of spaCy's ``spacy/errors.py``).

Every problem the pipeline meets with its input becomes an :class:`Issue`: a code, a
severity, the file it concerns and a message that says what happened and what to do.
Issues are collected per record and counted in the run report (``stats.json``); nothing is
printed and forgotten. ``E`` codes mean the file (or part) was skipped, ``W`` codes mean it
was processed but something deserves a look.

Messages are in Chinese first (the analyst's language), with an English gloss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"  # the file or part was skipped
    WARNING = "warning"  # processed, but an analyst should check


# code -> (severity, message template, what to do)
MESSAGES: dict[str, tuple[Severity, str, str]] = {
    # ingest
    "E001": (Severity.ERROR, "文件为空 (empty file)", "检查下载或导出是否完整 / re-export the file"),
    "E002": (
        Severity.ERROR,
        "二进制文件,不是文本/网页/Word 文档 (binary content, not text, HTML or .docx)",
        "转为 .txt/.html/.docx 后重试 / convert it to a supported format",
    ),
    "E003": (
        Severity.ERROR,
        "无法识别编码 (not decodable as UTF-8 or GB18030)",
        "另存为 UTF-8 后重试 / save the file as UTF-8",
    ),
    "E004": (
        Severity.ERROR,
        "不支持的文件类型 {suffix} (unsupported file type)",
        "支持 .txt .html .htm .docx .pdf / supported: .txt .html .htm .docx .pdf",
    ),
    "E005": (Severity.ERROR, "文件无法读取: {detail} (cannot read file)", "检查文件权限和完整性 / check permissions"),
    "E006": (
        Severity.ERROR,
        "Word 文档已损坏或不是 .docx: {detail} (broken .docx)",
        "用 Word/WPS 打开并另存为 .docx / re-save as .docx",
    ),
    "E007": (
        Severity.ERROR,
        "文件过大 ({size} 字节,上限 {limit}) (file too large)",
        "拆分文件,或用 --max-bytes 调高上限 / split it or raise --max-bytes",
    ),
    "E008": (
        Severity.ERROR,
        "暂不支持旧版 Word 或 PDF 文件 {suffix}: {advice} (legacy .doc/.wps or .pdf not supported yet)",
        "Word/WPS 文档另存为 .docx;PDF 请改存原网页 .html 或把正文复制为 .txt"
        " / re-save as .docx, or use the web page (.html) or a .txt copy of the text",
    ),
    "E009": (
        Severity.ERROR,
        "未能提取正文: {detail} (no text could be extracted)",
        "检查文件内容是否完整,或把正文另存为 .txt / check the file, or save the text as .txt",
    ),
    "E012": (
        Severity.ERROR,
        "PDF 没有文字层 (共 {pages} 页,可能是扫描件) (PDF without a text layer: a scan?)",
        "用 OCR 软件转出文字,或改用原网页 .html / 正文 .txt / run OCR, or use the web page or a .txt copy",
    ),
    "E013": (
        Severity.ERROR,
        "文件过大,不像单篇通报: {detail} (too large to be one bulletin)",
        "拆分为单篇通报后重试(合集、数据库导出请先拆分) / split it into single bulletins",
    ),
    "E014": (
        Severity.ERROR,
        "文字是乱码 (编码被转错过一次),按原编码应为 “{preview}…” (double-encoded text, mojibake)",
        "用正确的编码重新导出或另存为 UTF-8 / re-export the file with its real encoding, e.g. as UTF-8",
    ),
    "E015": (
        Severity.ERROR,
        "PDF 无法打开: {detail} (damaged or encrypted PDF)",
        "用 PDF 阅读器打开并另存(取消密码),或改用原网页 .html / re-save without a password, or use the web page",
    ),
    "E016": (
        Severity.ERROR,
        "参考统计文件无效: {detail} (bad reference statistics file)",
        "用 xunshi build --save-reference 重新生成 / write it again with xunshi build --save-reference",
    ),
    "E017": (
        Severity.ERROR,
        "缓存条目在构建过程中被改动或删除: {detail} (a cache entry changed during the build)",
        "重新运行构建;不要让两个构建同时写同一输出目录 / run the build again, and not two builds into one output folder at once",
    ),
    "W001": (
        Severity.WARNING,
        "含 {count} 个无法解码的字节,已替换为 U+FFFD (undecodable bytes replaced)",
        "核对原文编码 / check the source encoding",
    ),
    "W002": (
        Severity.WARNING,
        "与 {other} 内容相同,已跳过重复文件 (duplicate of another input file)",
        "无需处理 / nothing to do",
    ),
    "W003": (
        Severity.WARNING,
        "含 {count} 个控制字符 (control characters in text)",
        "核对原文 / check the source text",
    ),
    "W004": (
        Severity.WARNING,
        "繁体字文本: {detail} (traditional characters)",
        "无需处理;标签与原文一致,识别按简体进行 / nothing to do: evidence keeps the original text",
    ),
    # segment
    "E010": (
        Severity.ERROR,
        "不是整改通报: 未找到整改事项或反馈问题 (not a rectification bulletin: no 整改 section or problems found)",
        "确认文件是巡视/巡察整改进展情况的通报 / check that it is a rectification bulletin",
    ),
    "E011": (
        Severity.ERROR,
        "不是巡视巡察整改通报,而是{kind}: “{title}” (looks like {kind_en}, not an inspection-rectification bulletin)",
        "无需处理;如确为整改通报,请核对标题和开头段落 / nothing to do, unless it is a bulletin: then check its title",
    ),
    "W010": (
        Severity.WARNING,
        "通报可能不完整: {detail} (bulletin looks truncated)",
        "核对原文是否完整 / check whether the file is complete",
    ),
    "W011": (
        Severity.WARNING,
        "问题 {ordinal} 未写明整改结果,记为 xs:Unknown (no status printed)",
        "核对原文;如需更正请人工标注 / check the source",
    ),
    "W012": (
        Severity.WARNING,
        "无法识别的整改结果 “{text}”,记为 xs:Unknown (unrecognised status wording)",
        "在 pipeline/data/status.jsonl 中补充该说法 / add the wording to status.jsonl",
    ),
    "W013": (
        Severity.WARNING,
        "问题编号不连续: {detail} (problem numbering out of sequence)",
        "核对原文编号 / check the numbering in the source",
    ),
    "W014": (
        Severity.WARNING,
        "未找到发文单位或日期: {detail} (issuer or date not found)",
        "核对通报末尾落款 / check the signature block",
    ),
    "W015": (
        Severity.WARNING,
        "全文没有换行 ({chars} 字),已按标题序号和“整改结果:”等标签切分 (no line breaks: split at numbering and labels)",
        "核对问题切分;最好取得带换行的原文 / check the problems found; better get the text with its line breaks",
    ),
    "W016": (
        Severity.WARNING,
        "问题 {ordinal} 的整改结果只写了整改方式“{text}”,未写明是否完成,记为 xs:Unknown (a mode, not a status)",
        "核对原文 / check the source",
    ),
    "W017": (
        Severity.WARNING,
        "整改台账表格有 {rows} 行无法对应到表头的列 (table rows that do not fit the header)",
        "核对表格中合并的单元格 / check merged cells in the table",
    ),
    # extract
    "W020": (
        Severity.WARNING,
        "书名号未闭合: “{text}” (unclosed 《)",
        "已截至句末作为标题处理 / title taken up to the end of the clause",
    ),
    "W021": (
        Severity.WARNING,
        "未找到巡视/巡察信息 (no inspection found in the opening paragraph)",
        "核对开头段落 / check the opening paragraph",
    ),
    # build
    "W030": (
        Severity.WARNING,
        "SHACL 校验未通过: {count} 处违反约束 (SHACL validation failed)",
        "见 graphs/shacl-report.ttl / see the SHACL report",
    ),
    "W032": (
        Severity.WARNING,
        "{count} 处原文出处与原文不符 (evidence spans that do not round-trip)",
        "请报告此缺陷 / please report this as a bug",
    ),
    "W050": (
        Severity.WARNING,
        "决定文件第 {line} 行: {detail}",
        "操作须为 accept-link reject-link merge split status 之一 / see the README",
    ),
    "W051": (
        Severity.WARNING,
        "决定文件第 {line} 行: 找不到 “{ref}” (reference not found in the graph)",
        "用 HTML 视图或 problems.csv 中的 IRI,或 文件|附件N|序号 / use an IRI or FILE|BULLETIN|ORDINAL",
    ),
    "W052": (
        Severity.WARNING,
        "决定文件第 {line} 行: 未知整改状态 “{value}” (unknown status)",
        "Completed PartiallyCompleted NotCompleted InProgress LongTerm Unknown",
    ),
    "W053": (
        Severity.WARNING,
        "决定文件第 {line} 行: {detail}",
        "见 README 决定文件一节 / see the README",
    ),
    "W031": (
        Severity.WARNING,
        "通报称{what}{reported}个,逐条统计为{found}个 (reported count does not match the items found)",
        "核对原文 / check the source",
    ),
    "W034": (
        Severity.WARNING,
        "通报称整改完成率{reported}%,按逐条整改结果计算为{found}% (reported completion rate does not match the statuses found)",
        "核对原文 / check the source",
    ),
    "W033": (
        Severity.WARNING,
        "通报称共{reported}个问题,所列分项合计{found}个 ({parts}) (reported parts do not add up to the reported total)",
        "核对原文中的汇总数字 / check the summary figures in the source",
    ),
    "W035": (
        Severity.WARNING,
        "参考统计的主题表与当前主题表不同 (reference {ref}, 当前 current {now}),其种子问题只按仍有的主题计票"
        " (the reference was fitted with another theme scheme)",
        "修改 ontology/themes.ttl 后请重新生成参考统计 / refit the reference after changing the themes",
    ),
    "W036": (
        Severity.WARNING,
        "参考统计拟合于 {ref} 个问题,当前语料有 {now} 个 (超过 {factor} 倍): 新词按未见过的最稀有词计权"
        " (the corpus has grown well past the reference it is pinned to)",
        "用 --save-reference 重新拟合(此后的得分会随之变化) / refit with --save-reference (scores will move once)",
    ),
    # enrich: earlier rounds
    "W040": (
        Severity.WARNING,
        "提及此前轮次“{text}”,但所在通报未识别出本轮巡视巡察,相对轮次按通报定位"
        " (earlier round cited in a bulletin whose current inspection is unknown)",
        "核对通报开头段落 / check the bulletin's opening paragraph",
    ),
    "W041": (
        Severity.WARNING,
        "“{text}”不早于本轮巡视巡察({current}),未作为此前轮次 (cited round is not earlier than the current one)",
        "核对年份 / check the year in the source",
    ),
}


@dataclass(frozen=True)
class Issue:
    """One coded message about one input (file, bulletin or item)."""

    code: str
    source: str  # the input path as given, or "" for build-level issues
    detail: dict = field(default_factory=dict, compare=False, hash=False)
    offset: int | None = None
    # where a corpus pass met it (a problem's IRI), for an incremental rebuild to merge the
    # issues of the documents it rebuilt with the others' in the pass's order; not reported
    order: str = field(default="", compare=False, hash=False, repr=False)

    @property
    def severity(self) -> Severity:
        return MESSAGES[self.code][0]

    @property
    def message(self) -> str:
        template = MESSAGES[self.code][1]
        try:
            return template.format(**self.detail)
        except (KeyError, IndexError):
            return template

    @property
    def hint(self) -> str:
        return MESSAGES[self.code][2]

    def as_dict(self) -> dict:
        d = {"code": self.code, "severity": self.severity.value, "source": self.source, "message": self.message, "hint": self.hint}
        if self.offset is not None:
            d["offset"] = self.offset
        return d

    def __str__(self) -> str:
        return self.format(self.as_dict())

    @staticmethod
    def format(d: dict) -> str:
        """One line for the console, from :meth:`as_dict` (also as read back from stats.json)."""
        where = d["source"] + (f"@{d['offset']}" if d.get("offset") is not None else "")
        return f"{d['code']} {where}: {d['message']}; {d['hint']}"


class XunshiError(Exception):
    """An error that stops one file or one command; carries its :class:`Issue`."""

    def __init__(self, code: str, source: str = "", **detail):
        self.issue = Issue(code, source, detail)
        super().__init__(str(self.issue))


class UsageError(Exception):
    """A command-line or query mistake, reported without a traceback."""
