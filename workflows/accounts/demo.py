"""Demo customers: a dozen accounts of the demo reps in Shanghai and Hangzhou, with contacts.

Huajin Auto Parts is a group: the parent and its Shanghai subsidiary belong to Team 1,
its Hangzhou subsidiary to Team 3, so the group shows how visibility cuts across a
parent-child link. Some were last reached days or weeks ago, so once the follow-up sweep
has run the account list shows no-contact flags, a follow-up or two is due, one owner has
been warned and one account has gone back to its branch's pool. Idempotent: accounts are
matched by name and contacts by name within their account, so a second run adds only what
is missing and never undoes an edit.
Load the demo organisation first: the owners are its reps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.dedupe import refresh_match_columns

from .models import Account, Contact

SHANGHAI, HANGZHOU = "上海 Shanghai", "杭州 Hangzhou"
MANUFACTURING, LOGISTICS, HEALTHCARE = "制造业 Manufacturing", "物流 Logistics", "医疗 Healthcare"
ELECTRONICS, AUTOMATION = "电子 Electronics", "工业自动化 Industrial automation"


@dataclass(frozen=True)
class _Account:
    name: str
    owner: str
    industry: str
    region: str
    category: str = "ordinary"
    account_type: str = "end_customer"
    credit_rating: str = "B"
    parent: str | None = None
    phone: str = ""
    address: str = ""
    reached_days_ago: int | None = None  # its last call, visit or meeting; None: from when it is loaded


@dataclass(frozen=True)
class _Contact:
    account: str
    name: str
    title: str
    phone: str
    email: str
    birthday: date | None = None


HUAJIN = "华锦汽车零部件集团 Huajin Auto Parts Group"
ACCOUNTS = (
    _Account(HUAJIN, "zhang.wei", MANUFACTURING, SHANGHAI, "strategic", credit_rating="A",
             phone="021-6888 1200", address="上海市嘉定区安亭镇墨玉路 88 号", reached_days_ago=3),
    _Account("华锦汽车零部件(上海)有限公司 Huajin Auto Parts (Shanghai)", "zhang.wei", MANUFACTURING,
             SHANGHAI, "vip", credit_rating="A", parent=HUAJIN, phone="021-6888 1300",
             address="上海市嘉定区园国路 1200 号"),
    _Account("华锦汽车零部件(杭州)有限公司 Huajin Auto Parts (Hangzhou)", "sun.li", MANUFACTURING, HANGZHOU,
             "vip", parent=HUAJIN, phone="0571-8662 4100", address="杭州市钱塘区 12 号大街 56 号"),
    _Account("东方联运物流有限公司 Oriental Intermodal Logistics", "li.na", LOGISTICS, SHANGHAI,
             phone="021-5046 7710", address="上海市浦东新区外高桥港区洲海路 999 号"),
    _Account("申康医疗器械有限公司 Shenkang Medical Devices", "wang.fang", HEALTHCARE, SHANGHAI, "vip",
             credit_rating="A", phone="021-3452 8800", address="上海市闵行区紫星路 588 号",
             reached_days_ago=12),
    _Account("恒通工业自动化有限公司 Hengtong Industrial Automation", "wang.fang", AUTOMATION, SHANGHAI,
             account_type="partner", phone="021-6475 3321", reached_days_ago=20),
    _Account("浦江冷链仓储有限公司 Pujiang Cold-Chain Warehousing", "zhao.qiang", LOGISTICS, SHANGHAI,
             credit_rating="C", phone="021-5821 0099", reached_days_ago=33),  # back to the pool at once
    _Account("明德精密机械有限公司 Mingde Precision Machinery", "wu.jing", MANUFACTURING, SHANGHAI,
             phone="021-5780 6612", address="上海市松江区新桥镇民益路 201 号", reached_days_ago=28),  # warned
    _Account("杭州仁和医院 Hangzhou Renhe Hospital", "ma.chao", HEALTHCARE, HANGZHOU, "strategic",
             credit_rating="A", phone="0571-8795 3000"),
    _Account("钱塘电子科技有限公司 Qiantang Electronics", "lin.xiaoyu", ELECTRONICS, HANGZHOU,
             phone="0571-8691 2201", address="杭州市滨江区江南大道 3850 号"),
    _Account("之江快运有限公司 Zhijiang Express", "guo.hua", LOGISTICS, HANGZHOU, credit_rating="C",
             phone="0571-8233 6070", reached_days_ago=16),
    _Account("越秀智能系统集成有限公司 Yuexiu Smart Systems Integration", "luo.qian", AUTOMATION, HANGZHOU,
             account_type="channel", phone="0571-8516 4433"),
)

CONTACTS = (
    _Contact(HUAJIN, "周建华 Zhou Jianhua", "采购总监 Purchasing director", "139 1620 4471",
             "zhou.jianhua@huajin.example.com", date(1972, 3, 14)),
    _Contact(HUAJIN, "Anna Müller", "Head of Group Logistics", "138 1877 0923",
             "anna.mueller@huajin.example.com"),
    _Contact(ACCOUNTS[1].name, "钱磊 Qian Lei", "工厂经理 Plant manager", "137 6124 5580",
             "qian.lei@huajin.example.com", date(1980, 11, 2)),
    _Contact(ACCOUNTS[1].name, "许婷 Xu Ting", "设备工程师 Equipment engineer", "136 2105 7781",
             "xu.ting@huajin.example.com"),
    _Contact(ACCOUNTS[2].name, "陆海峰 Lu Haifeng", "厂长 Plant director", "139 5716 3302",
             "lu.haifeng@huajin.example.com", date(1976, 6, 21)),
    _Contact(ACCOUNTS[3].name, "黄志强 Huang Zhiqiang", "运营副总 VP Operations", "135 6453 2290",
             "huang.zq@oriental-im.example.com"),
    _Contact(ACCOUNTS[3].name, "刘倩 Liu Qian", "仓储主管 Warehouse supervisor", "186 2130 4456",
             "liu.qian@oriental-im.example.com", date(1990, 9, 9)),
    _Contact(ACCOUNTS[4].name, "David Chen", "Procurement manager", "138 0174 6620",
             "david.chen@shenkang.example.com", date(1985, 1, 30)),
    _Contact(ACCOUNTS[4].name, "沈佳 Shen Jia", "质量经理 Quality manager", "139 1745 2218",
             "shen.jia@shenkang.example.com"),
    _Contact(ACCOUNTS[4].name, "孔明远 Kong Mingyuan", "总经理 General manager", "136 0198 3355",
             "kong.my@shenkang.example.com", date(1968, 12, 5)),
    _Contact(ACCOUNTS[5].name, "邓涛 Deng Tao", "销售总监 Sales director", "137 1820 9964",
             "deng.tao@hengtong.example.com"),
    _Contact(ACCOUNTS[6].name, "蔡文 Cai Wen", "仓库经理 Warehouse manager", "135 2166 0712",
             "cai.wen@pujiang-cc.example.com"),
    _Contact(ACCOUNTS[7].name, "杨光 Yang Guang", "生产部长 Head of production", "139 1806 5527",
             "yang.guang@mingde.example.com", date(1979, 4, 17)),
    _Contact(ACCOUNTS[7].name, "Peter Wong", "Automation engineer", "186 2172 3309",
             "peter.wong@mingde.example.com"),
    _Contact(ACCOUNTS[8].name, "王丽华 Wang Lihua", "后勤处处长 Head of hospital logistics", "0571-8795 3125",
             "wang.lihua@renhe-hospital.example.com"),
    _Contact(ACCOUNTS[8].name, "朱斌 Zhu Bin", "信息科主任 IT director", "138 5718 4402",
             "zhu.bin@renhe-hospital.example.com", date(1983, 8, 28)),
    _Contact(ACCOUNTS[9].name, "郑凯 Zheng Kai", "制造副总 VP Manufacturing", "139 6811 2045",
             "zheng.kai@qiantang-e.example.com"),
    _Contact(ACCOUNTS[10].name, "方芳 Fang Fang", "分拨中心经理 Hub manager", "137 5712 8890",
             "fang.fang@zhijiang-ex.example.com", date(1988, 2, 11)),
    _Contact(ACCOUNTS[11].name, "孙浩 Sun Hao", "合作伙伴经理 Partner manager", "135 8840 1276",
             "sun.hao@yuexiu-si.example.com"),
    _Contact(ACCOUNTS[11].name, "李静 Li Jing", "方案工程师 Solutions engineer", "186 5710 6633",
             "li.jing@yuexiu-si.example.com"),
)


def load_demo_accounts(session: Session, now: datetime) -> None:
    """Create whatever demo accounts and contacts are missing; the caller commits."""
    accounts = {a.name: a for a in session.scalars(
        select(Account).where(Account.name.in_([spec.name for spec in ACCOUNTS])).order_by(Account.id))}
    for spec in ACCOUNTS:  # parents are listed before their subsidiaries
        if spec.name not in accounts:
            accounts[spec.name] = _add_account(session, spec, accounts, now)
    ids = [a.id for a in accounts.values()]
    existing = {(account_id, name) for account_id, name in session.execute(
        select(Contact.account_id, Contact.name).where(Contact.account_id.in_(ids)))}
    for contact in CONTACTS:
        account = accounts[contact.account]
        if (account.id, contact.name) not in existing:
            person = Contact(account_id=account.id, name=contact.name, title=contact.title,
                             phone=contact.phone, email=contact.email, birthday=contact.birthday,
                             owner=account.owner, created_at=now, updated_at=now)
            refresh_match_columns(person)
            session.add(person)
    session.flush()


def _add_account(session: Session, spec: _Account, known: dict[str, Account], now: datetime) -> Account:
    parent = known.get(spec.parent) if spec.parent else None
    account = Account(name=spec.name, parent_id=parent.id if parent else None, industry=spec.industry,
                      category=spec.category, account_type=spec.account_type, region=spec.region,
                      credit_rating=spec.credit_rating, phone=spec.phone, address=spec.address, note="",
                      owner=spec.owner, assigned_at=now, created_at=now, updated_at=now)
    if spec.reached_days_ago is not None:  # the follow-up counts from then: flags, a warning, a recycling
        account.assigned_at = account.last_contacted_at = now - timedelta(days=spec.reached_days_ago)
    refresh_match_columns(account)  # so the duplicate rules find the demo customers
    session.add(account)
    session.flush()
    return account
