#!/usr/bin/env python
"""Roster import benchmark (acceptance for issues 2 and 15).

Builds an N-row, 20-column roster .xlsx (the import template's columns, valid synthetic data),
then on a throw-away PostgreSQL database times, each in its own process:

  floor   the same rows, already validated and encrypted (done before the clock starts), COPYed
          into the real tables (members_person, members_membership: their indexes, unique and
          foreign-key constraints), plus python-calamine reading the sheet; commit. The target.
  bare    python-calamine read + COPY of the 20 cells as text into a bare table (no index, no
          constraint, no validation): what the hardware does with the file at all
  ours    huigong's roster_import_run end to end: measure, read, validate every row, encrypt,
          upsert people, open memberships, commit (one transaction), audit
  iie     django-import-export 4 with a ModelResource over Person (+ memberships after import), tuned
          as its documentation recommends (bulk mode, no diff, CachedInstanceLoader, foreign keys
          from a dict, the registry check one query per file) with the same row rules. It runs on
          the first --iie-rows rows of the same data and its rows/s is extrapolated (the output says
          so), with its database queries per row.

Usage:
  python bench/import_roster.py                       # 100,000 rows, 1 run of each
  python bench/import_roster.py --runs 3              # medians of 3
  python bench/import_roster.py --rows 1000000 --skip-baselines
  --roster-dir DIR keeps the generated files there and reuses them (1,000,000 rows take minutes).
Needs PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432); the database
hg_bench_roster (+ BENCH_DB_SUFFIX) is dropped and recreated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Timer,
    bench_db,
    child_env,
    database_url,
    django_setup,
    drop_database,
    emit,
    machine,
    median,
    peak_rss_mb,
    recreate_database,
    run_child,
)

HEADERS = ["姓名", "身份证号", "性别", "出生日期", "民族", "手机号", "学历", "政治面貌", "用工形式", "用人单位",
           "统一社会信用代码", "平台企业", "岗位", "工号", "入会日期", "劳动合同起始日期", "劳动合同终止日期", "现住址",
           "开户行", "银行账号"]
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国玉文辉鑫宇浩然涵欣怡梓轩思远雨萱晨阳佳琪子博俊凯"
REGIONS = ("330102", "330105", "330106", "330108", "330109", "330110", "330111", "330122", "330127", "330182")
JOBS = ("操作工", "技术员", "工程师", "销售", "仓管员", "司机", "会计", "质检员", "电工", "焊工", "文员", "厨师")
BANKS = ("中国工商银行杭州分行", "中国建设银行杭州分行", "中国农业银行杭州分行", "杭州银行", "浙商银行")
STREETS = ("文三路", "天目山路", "古墩路", "莫干山路", "教工路", "学院路", "留和路", "西溪路")
ETHNIC = ["汉族"] * 95 + ["回族", "满族", "土家族", "畲族", "苗族"]
EDU = ["初中"] * 15 + ["高中"] * 25 + ["中专"] * 10 + ["大专"] * 25 + ["本科"] * 22 + ["研究生"] * 3
POLITICAL = ["群众"] * 80 + ["中共党员"] * 10 + ["共青团员"] * 9 + ["民主党派成员"]
N_ENTERPRISES, N_PLATFORMS = 50, 3
DB = bench_db("hg_bench_roster")
SCRIPT = str(Path(__file__).resolve())


# ----------------------------------------------------------------- data


def _world_codes() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    from huigong.core import uscc

    rng = random.Random(7)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

    def code() -> str:
        return uscc.make("91330106" + "".join(rng.choice(alphabet) for _ in range(9)))

    enterprises = [(f"杭州{name}{i:02d}有限公司", code()) for i, name in
                   enumerate(["精密制造", "数字科技", "物流", "食品", "纺织", "建设", "电子", "医药", "商贸", "软件"] * 5)]
    platforms = [(name, code()) for name in ("某外卖平台", "某即时配送平台", "某网约车平台")]
    return enterprises[:N_ENTERPRISES], platforms[:N_PLATFORMS]


TILE = 100_000


def write_roster(path: str, rows: int, seed: int = 2026) -> None:
    """The same file for every contender. Up to TILE rows: XlsxWriter constant_memory (inline strings,
    flat memory). Above: the TILE-row roster repeated (_tile_roster), each copy's ID numbers moved to
    other region codes so that every number stays valid and distinct (minutes instead of an hour)."""
    if rows > TILE:
        base = path + f".base{TILE}.xlsx"
        write_roster(base, TILE, seed)
        try:
            _tile_roster(base, path, rows)
        finally:
            os.unlink(base)
        return
    _write_roster(path, rows, seed)


def _tile_roster(base: str, path: str, rows: int) -> None:
    import re
    import zipfile

    from huigong.core import idnumber

    with zipfile.ZipFile(base) as zf:
        names = zf.namelist()
        parts = {n: zf.read(n) for n in names}
    sheet_name = next(n for n in names if n.startswith("xl/worksheets/"))
    xml = parts[sheet_name]
    first = xml.index(b'<row r="2"')
    end = xml.index(b"</sheetData>")
    head, body, tail = xml[:first], xml[first:end], xml[end:]
    refs = re.compile(rb'(<row r="|<c r="[A-Z]{1,3})(\d+)"')
    ids = re.compile(rb'(<c r="B\d+" t="inlineStr"><is><t>)(\d{6})(\d{11})[\dX]')
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for n in names:
            if n != sheet_name:
                out.writestr(n, parts[n])
        with out.open(sheet_name, "w", force_zip64=True) as fh:
            fh.write(head.replace(b'<dimension ref="A1:T%d"/>' % (TILE + 1), b'<dimension ref="A1:T%d"/>' % (rows + 1)))
            for copy in range(-(-rows // TILE)):
                offset = copy * TILE

                def region(m, copy=copy):
                    body17 = b"%02d%s%s" % (33 + copy, m.group(2)[2:], m.group(3))
                    return m.group(1) + body17 + idnumber.check_char(body17.decode()).encode()

                chunk = ids.sub(region, body) if copy else body
                if offset:
                    chunk = refs.sub(lambda m, o=offset: b"%s%d\"" % (m.group(1), int(m.group(2)) + o), chunk)
                keep = rows - offset
                if keep < TILE:
                    chunk = chunk[:chunk.index(b'<row r="%d"' % (offset + keep + 2))]
                fh.write(chunk)
            fh.write(tail)
    os.replace(tmp, path)


def _write_roster(path: str, rows: int, seed: int) -> None:
    import xlsxwriter

    from huigong.core import idnumber

    enterprises, platforms = _world_codes()
    rng = random.Random(seed)
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("会员名册")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADERS)
    base = dt.date(1966, 1, 1)
    days = 14600  # birth dates 1966-2005
    space = days * 1000
    step = 7_919_993  # coprime with `space`: i -> distinct (birth date, sequence) pairs
    joined_formats = ("{:%Y-%m-%d}", "{d.year}/{d.month}/{d.day}", "{d.year}年{d.month}月{d.day}日")
    choice, randint = rng.choice, rng.randint
    for i in range(1, rows + 1):
        k = (i * step + 12345) % space
        birth = base + dt.timedelta(days=k // 1000)
        number = idnumber.make(REGIONS[i % len(REGIONS)], birth, k % 1000)
        gender = "男" if (ord(number[16]) - 48) % 2 else "女"
        roll = randint(1, 100)
        if roll <= 70:
            form, (emp, code), plat = "劳动合同", choice(enterprises), ""
        elif roll <= 80:
            form, (emp, code), plat = "劳务派遣", choice(enterprises), ""
        elif roll <= 85:
            form, emp, code, plat = "灵活就业", "", "", ""
        elif roll <= 95:
            form, emp, code, plat = "网约配送员", "", "", choice(platforms[:2])[0]
        else:
            form, emp, code, plat = "快递员", "", "", choice(platforms[:2])[1]
        joined = dt.date(2015, 1, 1) + dt.timedelta(days=randint(0, 3600))
        joined = max(joined, birth + dt.timedelta(days=6570))
        fmt = joined_formats[i % 3]
        start = dt.datetime(2018, 1, 1) + dt.timedelta(days=randint(0, 2000))
        ws.write_row(i, 0, [
            choice(SURNAMES) + choice(GIVEN) + (choice(GIVEN) if randint(0, 2) else ""), number, gender])
        ws.write_datetime(i, 3, dt.datetime(birth.year, birth.month, birth.day), date_fmt)
        ws.write_row(i, 4, [choice(ETHNIC), f"1{choice('3578')}{i % 10}{randint(0, 99_999_999):08d}", choice(EDU),
                            choice(POLITICAL), form, emp, code, plat, choice(JOBS), f"E{i:07d}",
                            fmt.format(joined, d=joined)])
        ws.write_datetime(i, 15, start, date_fmt)
        ws.write_datetime(i, 16, start + dt.timedelta(days=1095), date_fmt)
        ws.write_row(i, 17, [f"浙江省杭州市西湖区{choice(STREETS)}{randint(1, 999)}号", choice(BANKS),
                             f"6222{i:011d}{randint(0, 9999):04d}"])
    wb.close()


# ----------------------------------------------------------------- children


def child_setup(args) -> None:
    """Migrates, builds a small union tree with enterprises, writes the roster files."""
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from huigong.accounts.models import Role
    from huigong.orgs.models import Enterprise, EnterpriseKind, NodeLevel
    from huigong.testing import make_node, make_staff

    root = make_node(None, "中华全国总工会", NodeLevel.NATIONAL, "100000")
    zj = make_node(root, "浙江省总工会", NodeLevel.PROVINCE, "330000")
    hz = make_node(zj, "杭州市总工会", NodeLevel.CITY, "330100")
    xihu = make_node(hz, "西湖区总工会", NodeLevel.DISTRICT, "330106")
    union = make_node(xihu, "西湖区新业态联合工会", NodeLevel.JOINT, "330106")
    actor = make_staff(hz, Role.ADMIN, "bench_admin")
    enterprises, platforms = _world_codes()
    Enterprise.objects.bulk_create(
        [Enterprise(name=n, uscc=c, union=xihu, kind=EnterpriseKind.ENTERPRISE) for n, c in enterprises]
        + [Enterprise(name=n, uscc=c, union=xihu, kind=EnterpriseKind.PLATFORM) for n, c in platforms])
    with Timer() as t:
        if not os.path.exists(args.file):
            write_roster(args.file + ".part", args.rows)
            os.replace(args.file + ".part", args.file)
    if args.iie_rows and not os.path.exists(args.iie_file):
        write_roster(args.iie_file + ".part", args.iie_rows)
        os.replace(args.iie_file + ".part", args.iie_file)
    emit({"union": union.pk, "actor": actor.pk, "generate_seconds": round(t.seconds, 2),
          "file_mb": round(os.path.getsize(args.file) / 1024**2, 1)})


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        # CASCADE: whatever else refers to people and memberships (benefit claims, transfers, ...) goes too.
        cur.execute("TRUNCATE members_membership, members_person RESTART IDENTITY CASCADE")


def child_ours(args) -> None:
    django_setup()
    from django.core.files import File

    from huigong.members.models import ImportStatus, Membership, Person, RosterImport
    from huigong.members.roster import roster_import_run
    from huigong.orgs.models import UnionNode

    if args.child == "whole":
        from huigong.members.roster import files

        files.STREAM_ABOVE_CELLS = 1 << 40  # calamine loads the whole sheet, however big
    _truncate()
    union = UnionNode.objects.get(pk=args.union)
    imp = RosterImport(union=union, original_name=os.path.basename(args.file), created_by_id=args.actor,
                       file_size=os.path.getsize(args.file))
    with open(args.file, "rb") as fh:
        imp.file.save("bench-roster.xlsx", File(fh), save=False)
    imp.save()
    from django.db import connection

    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    cpu0, db0 = time.process_time(), _backend_cpu(backend)
    phases: list[str] = []

    class _Phases(logging.Handler):
        def emit(self, record):
            if "timings" in record.getMessage():
                phases.append(record.getMessage().split("timings: ", 1)[1])

    services_log = logging.getLogger("huigong.members.roster.services")
    services_log.addHandler(_Phases())
    services_log.setLevel(logging.INFO)
    with Timer() as t:
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx("roster_import_run(imp.pk)", globals(), locals(), os.environ["BENCH_PROFILE"])
        else:
            roster_import_run(imp.pk)
    imp.refresh_from_db()
    if imp.status != ImportStatus.DONE:
        raise SystemExit(f"import ended {imp.status}: {imp.message} {imp.errors_preview[:5]}")
    people, members = Person.objects.count(), Membership.objects.count()
    if people != args.rows or members != args.rows:
        raise SystemExit(f"expected {args.rows} people and memberships, got {people} / {members}")
    cpu, db_cpu = time.process_time() - cpu0, _backend_cpu(backend) - db0
    os.unlink(imp.file.path)
    emit({"seconds": t.seconds, "rows": imp.created_count, "peak_rss_mb": peak_rss_mb(),
          "python_cpu_s": round(cpu, 2), "db_cpu_s": round(db_cpu, 2), "phases": phases[-1] if phases else ""})


def _backend_cpu(pid: int) -> float:
    """CPU seconds of a PostgreSQL backend on this machine (0 when the server is remote)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_floor(args) -> None:
    """The same rows, validated and encrypted before the clock starts, COPYed into the real tables."""
    django_setup()
    import psycopg
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from python_calamine import CalamineWorkbook

    from huigong.members.models import MembershipStatus
    from huigong.members.roster.validate import Lookups, R, RowValidator
    from huigong.members.roster.writers import PERSON_COLUMNS, PostgresWriter, card_no_prefix
    from huigong.orgs.models import UnionNode

    _truncate()
    union = UnionNode.objects.get(pk=args.union)
    actor = get_user_model().objects.get(pk=args.actor)
    rows = list(enumerate(CalamineWorkbook.from_path(args.file).get_sheet_by_index(0).iter_rows(), start=1))
    validator = RowValidator(list(rows[0][1]), lookups=Lookups.load(actor), today=timezone.localdate())
    records, errors = validator.validate(rows[1:])
    if errors or len(records) != args.rows:
        raise SystemExit(f"floor: {len(errors)} errors, {len(records)} records")
    now, prefix = timezone.now(), card_no_prefix(union)
    staged = PostgresWriter(None, import_id=0, union=union, scope="", now=now).prepare(records)
    people = [(pk, *(r[R[c]] for c in PERSON_COLUMNS), union.path, now, now) for pk, r in enumerate(staged, 1)]
    members = [(pk, union.pk, MembershipStatus.ACTIVE, r[R["joined_on"]], f"{prefix}{pk:010d}", "import", now)
               for pk, r in enumerate(staged, 1)]
    del rows, records, staged
    person_cols = ", ".join(("id", *PERSON_COLUMNS, "record_path", "created_at", "updated_at"))
    with psycopg.connect(database_url(DB)) as conn:
        backend = conn.info.backend_pid
        cpu0, db0 = time.process_time(), _backend_cpu(backend)
        with Timer() as t:
            with Timer() as read:
                n = sum(1 for _ in CalamineWorkbook.from_path(args.file).get_sheet_by_index(0).iter_rows()) - 1
            with conn.cursor() as cur:
                with cur.copy(f"COPY members_person ({person_cols}) FROM STDIN") as copy:
                    for row in people:
                        copy.write_row(row)
                with cur.copy("COPY members_membership (person_id, union_id, status, joined_on, card_no, source, "
                              "created_at) FROM STDIN") as copy:
                    for row in members:
                        copy.write_row(row)
                cur.execute("SELECT setval(pg_get_serial_sequence('members_person', 'id'), %s)", [len(people)])
            conn.commit()
        cpu, db_cpu = time.process_time() - cpu0, _backend_cpu(backend) - db0
    emit({"seconds": t.seconds, "read_seconds": round(read.seconds, 2), "rows": n, "peak_rss_mb": peak_rss_mb(),
          "python_cpu_s": round(cpu, 2), "db_cpu_s": round(db_cpu, 2)})


def child_bare(args) -> None:
    import psycopg
    from python_calamine import CalamineWorkbook

    url = database_url(DB)
    cols = ", ".join(f"c{i} text" for i in range(20))
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor")
        conn.execute(f"CREATE TABLE bench_floor ({cols})")
        conn.commit()
        with Timer() as t:
            rows = CalamineWorkbook.from_path(args.file).get_sheet_by_index(0).iter_rows()
            next(rows)  # header
            n = 0
            with conn.cursor() as cur, cur.copy("COPY bench_floor FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            conn.commit()
        conn.execute("DROP TABLE bench_floor")
        conn.commit()
    emit({"seconds": t.seconds, "rows": n, "peak_rss_mb": peak_rss_mb()})


def child_iie(args) -> None:
    """django-import-export tuned as its documentation recommends ("Bulk imports" and the instance
    loaders): bulk mode with batches, skip_diff, CachedInstanceLoader (the people of the whole
    dataset in one query), foreign keys resolved from a dict loaded once, the registry check one
    query per file; full_clean() per instance for the model's own rules, without the unique and
    foreign-key probes that are a query each (the loader and the dict already answer them): a few
    queries per batch, none per row."""
    django_setup()
    import tablib
    from django.core.exceptions import ValidationError
    from django.db import connection
    from import_export import fields, instance_loaders, resources, widgets

    from huigong.core import idnumber
    from huigong.core.crypto import blind_index
    from huigong.members.models import Membership, MembershipStatus, Person
    from huigong.members.roster.columns import EDUCATIONS, EMPLOYMENT_FORMS, ETHNICITIES, POLITICAL_STATUSES
    from huigong.members.services import derived_person_fields
    from huigong.orgs.models import Enterprise, UnionNode

    _truncate()
    union = UnionNode.objects.get(pk=args.union)
    today = dt.date.today()
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    def parse_date(v):
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        s = str(v).strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-")
        y, m, d = (int(x) for x in s.split("-"))
        return dt.date(y, m, d)

    class DictForeignKeyWidget(widgets.ForeignKeyWidget):
        """Enterprises by credit code or by name from a dict loaded once (no query per row)."""

        def __init__(self, lookup: dict, **kwargs):
            super().__init__(Enterprise, **kwargs)
            self.lookup = lookup

        def clean(self, value, row=None, **kwargs):
            if not value:
                return None
            hit = self.lookup.get(str(value).strip())
            if hit is None:
                raise ValueError(f"unknown unit {value}")
            return hit

    by_code = {e.uscc: e for e in Enterprise.objects.all()}
    by_name = {e.name: e for e in by_code.values()}

    class PersonResource(resources.ModelResource):
        name = fields.Field(attribute="name", column_name="姓名")
        id_number = fields.Field(attribute="id_number", column_name="身份证号")
        id_number_hash = fields.Field(attribute="id_number_hash", column_name="id_number_hash")
        ethnicity = fields.Field(attribute="ethnicity", column_name="民族")
        phone = fields.Field(attribute="phone", column_name="手机号")
        education = fields.Field(attribute="education", column_name="学历")
        political_status = fields.Field(attribute="political_status", column_name="政治面貌")
        employment_form = fields.Field(attribute="employment_form", column_name="用工形式")
        employer = fields.Field(attribute="employer", column_name="统一社会信用代码",
                                widget=DictForeignKeyWidget(by_code, field="uscc"))
        platform = fields.Field(attribute="platform", column_name="平台企业",
                                widget=DictForeignKeyWidget({**by_code, **by_name}, field="name"))
        job_title = fields.Field(attribute="job_title", column_name="岗位")
        employee_no = fields.Field(attribute="employee_no", column_name="工号")
        contract_start = fields.Field(attribute="contract_start", column_name="劳动合同起始日期",
                                      widget=widgets.DateWidget())
        contract_end = fields.Field(attribute="contract_end", column_name="劳动合同终止日期",
                                    widget=widgets.DateWidget())
        address = fields.Field(attribute="address", column_name="现住址")
        bank_name = fields.Field(attribute="bank_name", column_name="开户行")
        bank_account = fields.Field(attribute="bank_account", column_name="银行账号")

        class Meta:
            model = Person
            import_id_fields = ("id_number_hash",)
            fields = ("name", "id_number", "id_number_hash", "ethnicity", "phone", "education", "political_status",
                      "employment_form", "employer", "platform", "job_title", "employee_no", "contract_start",
                      "contract_end", "address", "bank_name", "bank_account")
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            clean_model_instances = True
            instance_loader_class = instance_loaders.CachedInstanceLoader

        def before_import(self, dataset, **kwargs):
            # The instance loader looks people up by blind index, so the dataset needs that column.
            hashes = [blind_index(idnumber.normalize(v), "id") for v in dataset["身份证号"]]
            dataset.append_col(hashes, header="id_number_hash")
            # The registry check, once for the file: who is active in another union.
            self.elsewhere = set(Membership.objects.filter(person__id_number_hash__in=hashes,
                                                           status=MembershipStatus.ACTIVE)
                                 .exclude(union=union).values_list("person__id_number_hash", flat=True))

        def before_import_row(self, row, **kwargs):
            # The same rules as huigong's validator, row by row.
            info = idnumber.parse(row["身份证号"])
            if ("男" if info.gender == "M" else "女") != row["性别"]:
                raise ValidationError("性别与身份证号不一致")
            if parse_date(row["出生日期"]) != info.birth_date:
                raise ValidationError("出生日期与身份证号不一致")
            derived = derived_person_fields(name=str(row["姓名"]).strip(), id_number=info.number,
                                            phone=str(row["手机号"]), bank_account=str(row["银行账号"]))
            row.update({"id_number_hash": derived["id_number_hash"], "民族": ETHNICITIES[row["民族"]],
                        "学历": EDUCATIONS[row["学历"]], "政治面貌": POLITICAL_STATUSES[row["政治面貌"]],
                        "用工形式": EMPLOYMENT_FORMS[row["用工形式"]]})
            row["_derived"] = derived
            row["_joined"] = parse_date(row["入会日期"])
            if row["_joined"] > today:
                raise ValidationError("入会日期不能晚于今天")
            if derived["id_number_hash"] in self.elsewhere:
                raise ValidationError("已是其他工会会员")

        def after_init_instance(self, instance, new, row, **kwargs):
            for k, v in row["_derived"].items():
                setattr(instance, k, v)

        def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
            errors = dict(import_validation_errors or {})
            try:
                # The unique constraint on id_number_hash is what the instance loader answered.
                instance.full_clean(exclude=[*errors, "employer", "platform"], validate_unique=False,
                                    validate_constraints=False)
            except ValidationError as e:
                errors = e.update_error_dict(errors)
            if errors:
                raise ValidationError(errors)

        def after_import(self, dataset, result, **kwargs):
            hashes = list(dataset["id_number_hash"])
            joined = {h: parse_date(v) for h, v in zip(hashes, dataset["入会日期"])}
            people = Person.objects.filter(id_number_hash__in=hashes).values_list("id", "id_number_hash")
            Membership.objects.bulk_create(
                [Membership(person_id=pk, union=union, status=MembershipStatus.ACTIVE, joined_on=joined[h],
                            source="import", card_no=f"{union.region_code}{pk:010d}") for pk, h in people],
                batch_size=1000)

    with Timer() as t, connection.execute_wrapper(count):
        with open(args.iie_file, "rb") as fh:
            data = tablib.Dataset().load(fh.read(), format="xlsx")
        result = PersonResource().import_data(data, dry_run=False, use_transactions=True)
    if result.has_errors() or result.has_validation_errors():
        first = [(r.number, r.error_dict) for r in result.invalid_rows[:2]] or result.row_errors()[:1] or \
            [e.error for e in result.base_errors[:2]]
        raise SystemExit(f"django-import-export reported errors: {first}")
    n = Person.objects.count()
    if n != args.iie_rows or Membership.objects.count() != n:
        raise SystemExit(f"django-import-export loaded {n} of {args.iie_rows} rows")
    emit({"seconds": t.seconds, "rows": n, "peak_rss_mb": peak_rss_mb(), "queries": queries[0]})


# ----------------------------------------------------------------- parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=1, help="runs of each contender; medians are reported")
    p.add_argument("--skip-baselines", action="store_true", help="only huigong's import (the 1M-row run)")
    p.add_argument("--iie-rows", type=int, default=20_000, help="rows for django-import-export (subset)")
    p.add_argument("--roster-dir", help="keep the generated rosters here and reuse them")
    p.add_argument("--compare-whole", action="store_true",
                   help="also run huigong's import with calamine loading the whole sheet (the 1M-row comparison)")
    p.add_argument("--keep", action="store_true", help="keep the database and files afterwards")
    p.add_argument("--child", choices=["setup", "ours", "whole", "floor", "bare", "iie"], help=argparse.SUPPRESS)
    p.add_argument("--file", help=argparse.SUPPRESS)
    p.add_argument("--iie-file", help=argparse.SUPPRESS)
    p.add_argument("--union", type=int, help=argparse.SUPPRESS)
    p.add_argument("--actor", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        {"setup": child_setup, "ours": child_ours, "whole": child_ours, "floor": child_floor, "bare": child_bare,
         "iie": child_iie}[args.child](args)
        return

    work = Path(tempfile.mkdtemp(prefix="hg-bench-roster-"))
    rosters = Path(args.roster_dir) if args.roster_dir else work
    rosters.mkdir(parents=True, exist_ok=True)
    file, iie_file = str(rosters / f"roster-{args.rows}.xlsx"), str(rosters / f"roster-{args.iie_rows}.xlsx")
    iie_rows = 0 if args.skip_baselines else min(args.iie_rows, args.rows)
    env = child_env(DB, str(work / "var"))
    common = ["--rows", str(args.rows), "--file", file, "--iie-file", iie_file, "--iie-rows", str(iie_rows)]
    print(f"machine: {machine()}")
    print(f"roster: {args.rows:,} rows x {len(HEADERS)} columns; database {DB} (recreated)")
    recreate_database(DB)
    try:
        setup = run_child(SCRIPT, ["--child", "setup", *common], env)
        print(f"roster file {setup['file_mb']} MB .xlsx (generated in {setup['generate_seconds']} s)")
        ids = ["--union", str(setup["union"]), "--actor", str(setup["actor"])]
        results: dict[str, list[dict]] = {"floor": [], "bare": [], "ours": [], "whole": [], "iie": []}
        for run in range(1, args.runs + 1):
            order = ["ours"] if args.skip_baselines else ["floor", "bare", "ours", "iie"]
            if args.compare_whole:
                order.append("whole")
            for name in order:
                r = run_child(SCRIPT, ["--child", name, *common, *ids], env)
                results[name].append(r)
                extra = (f"  (CPU: python {r['python_cpu_s']:.2f} s, database {r['db_cpu_s']:.2f} s)"
                         if "db_cpu_s" in r else "")
                if "read_seconds" in r:
                    extra += f"  (of which the sheet read {r['read_seconds']:.2f} s)"
                if "queries" in r:
                    extra = f"  ({r['queries']:,} queries, {r['queries'] / r['rows']:.3f} a row)"
                print(f"  run {run} {name:5s} {r['rows']:>9,} rows {r['seconds']:8.2f} s "
                      f"{r['rows'] / r['seconds']:>10,.0f} rows/s  peak RSS {r['peak_rss_mb']:,.0f} MB{extra}",
                      flush=True)
                if r.get("phases"):
                    print(f"        phases: {r['phases']}", flush=True)
        report(args, results, iie_rows)
    finally:
        if not args.keep:
            drop_database(DB)
            shutil.rmtree(work, ignore_errors=True)


def report(args, results: dict[str, list[dict]], iie_rows: int) -> None:
    def summary(name: str) -> dict | None:
        rs = results[name]
        if not rs:
            return None
        secs = median([r["seconds"] for r in rs])
        rows = rs[0]["rows"]
        return {"seconds": secs, "rows": rows, "rows_per_s": rows / secs,
                "peak_rss_mb": median([r["peak_rss_mb"] for r in rs]), "runs": len(rs),
                "all_seconds": [round(r["seconds"], 3) for r in rs],
                **({"queries_per_row": rs[0]["queries"] / rows} if "queries" in rs[0] else {})}

    ours, floor, bare, iie = summary("ours"), summary("floor"), summary("bare"), summary("iie")
    whole = summary("whole")
    print(f"\nresults ({'median of ' + str(args.runs) if args.runs > 1 else 'one run'}):")
    print(f"{'contender':<56}{'rows':>10}{'seconds':>10}{'rows/s':>12}{'peak RSS MB':>13}")
    lines = [("floor: read + COPY of ready rows into the real tables", floor),
             ("bare floor: read + COPY into a bare table", bare),
             ("huigong roster_import_run (end to end)", ours),
             ("huigong, calamine loading the whole sheet", whole),
             (f"django-import-export, tuned (first {iie_rows:,} rows)", iie)]
    for label, s in lines:
        if s:
            print(f"{label:<56}{s['rows']:>10,}{s['seconds']:>10.2f}{s['rows_per_s']:>12,.0f}{s['peak_rss_mb']:>13,.0f}")
    out = {"rows": args.rows, "ours": ours, "floor": floor, "bare": bare, "iie": iie, "whole": whole}
    if ours:
        peak = ours["peak_rss_mb"]
        out["peak_rss_mb"] = peak
        verdict = (f" (target <= 1 GB at 1,000,000 rows: {'met' if peak <= 1024 else 'NOT met'})"
                   if args.rows >= 1_000_000 else "")
        print(f"\nhuigong peak memory: {peak:,.0f} MB at {args.rows:,} rows{verdict}; the high-water mark of the "
              "importing process's resident set (VmHWM in /proc/self/status, read after the import, in a "
              "process of its own)")
    if whole and ours:
        out["ours_vs_whole"] = ours["seconds"] / whole["seconds"]
        print(f"\nsliced reader / whole-sheet calamine: {out['ours_vs_whole']:.2f}x the time, "
              f"peak RSS {ours['peak_rss_mb']:,.0f} MB vs {whole['peak_rss_mb']:,.0f} MB")
    if floor and ours:
        ratio = ours["seconds"] / floor["seconds"]
        out["ours_vs_floor"] = ratio
        print(f"\nend to end / floor (real tables): {ratio:.2f}x  (target <= 1.3x: {'met' if ratio <= 1.3 else 'NOT met'})")
    if floor and ours and "db_cpu_s" in results["floor"][0]:
        def cpu(name):
            return median([r["python_cpu_s"] + r["db_cpu_s"] for r in results[name]])

        out["ours_vs_floor_cpu"] = cpu("ours") / cpu("floor")
        print(f"end to end / floor in CPU seconds (Python + PostgreSQL backend): {cpu('ours'):.2f} / "
              f"{cpu('floor'):.2f} = {out['ours_vs_floor_cpu']:.2f}x")
    if bare and ours:
        out["ours_vs_bare"] = ours["seconds"] / bare["seconds"]
        print(f"end to end / bare floor: {out['ours_vs_bare']:.2f}x")
    if iie and ours:
        speedup = ours["rows_per_s"] / iie["rows_per_s"]
        extrapolated = args.rows / iie["rows_per_s"]
        out["speedup_vs_iie"] = speedup
        print(f"huigong vs django-import-export (tuned): {speedup:.1f}x rows/s (target >= 20x: "
              f"{'met' if speedup >= 20 else 'NOT met'}); django-import-export measured on {iie_rows:,} rows "
              f"({iie.get('queries_per_row', 0):.3f} queries a row), extrapolated to {args.rows:,} rows: "
              f"{extrapolated:,.0f} s")
    print("json: " + json.dumps(out))


if __name__ == "__main__":
    main()
