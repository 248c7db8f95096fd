"""Demo catalogue: what East China Smart Equipment sells, with a standard and a channel price list.

Idempotent: products are matched by code, price lists by name and prices by (list,
product), so a second run adds only what is missing and never overwrites an edit.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import PriceList, PriceListEntry, Product

STANDARD = "2026 标准价目表 Standard price list"
CHANNEL = "2026 渠道价目表 Channel partner price list"
CHANNEL_SHARE = Decimal("0.85")  # channel partners buy at 85% of the standard price

# (code, name, unit, description, standard unit price)
PRODUCTS = (
    ("AGV-L500", "潜伏式AGV机器人 Latent AGV robot, 500 kg", "台", "Lifts racks from below; laser SLAM.",
     "168000.00"),
    ("AGV-F1500", "叉车式AGV Forklift AGV, 1.5 t", "台", "Pallet handling up to 3 m lift height.",
     "298000.00"),
    ("AMR-300", "自主移动机器人 Autonomous mobile robot, 300 kg", "台", "Free navigation among people.",
     "128000.00"),
    ("PLC-C32", "可编程控制器 PLC controller, 32 I/O", "台", "Line control with EtherCAT and Modbus.",
     "12800.00"),
    ("PLC-IO16", "扩展IO模块 I/O expansion module, 16 channels", "个", "", "2600.00"),
    ("SEN-LIDAR", "安全激光雷达 Safety LiDAR scanner", "个", "PL d safety fields for AGVs and cells.",
     "9800.00"),
    ("SEN-VISION", "视觉检测相机 Vision inspection camera", "套", "Camera, lens, light and software.",
     "23500.00"),
    ("SEN-TH", "温湿度传感器 Temperature and humidity sensor", "个", "", "380.00"),
    ("SVC-INSTALL", "安装调试服务 Installation and commissioning", "人天", "Per engineer and day on site.",
     "2500.00"),
    ("SVC-MAINT", "年度维保服务 Annual maintenance contract", "年", "Two visits a year, 24h response.",
     "36000.00"),
    ("SVC-TRAIN", "操作培训 Operator training", "天", "Up to 12 trainees a day.", "4000.00"),
)


def load_demo_catalog(session: Session) -> None:
    """Create whatever part of the demo catalogue is missing; the caller commits."""
    products = _load_products(session)
    standard = _price_list(session, STANDARD, default=True)
    channel = _price_list(session, CHANNEL, default=False)
    for code, *_, price in PRODUCTS:
        list_price = Decimal(price)
        _price(session, standard, products[code], list_price)
        _price(session, channel, products[code], (list_price * CHANNEL_SHARE).quantize(Decimal("0.01")))
    session.flush()


def _load_products(session: Session) -> dict[str, Product]:
    found = {p.code: p for p in session.scalars(
        select(Product).where(Product.code.in_([code for code, *_ in PRODUCTS])))}
    for code, name, unit, description, _price_text in PRODUCTS:
        if code not in found:
            found[code] = Product(code=code, name=name, unit=unit, description=description, active=True)
            session.add(found[code])
    session.flush()
    return found


def _price_list(session: Session, name: str, default: bool) -> PriceList:
    """The named list, created if missing; it only becomes the default when none is."""
    price_list = session.scalars(select(PriceList).where(PriceList.name == name)).first()
    if price_list is None:
        has_default = session.scalars(select(PriceList.id).where(PriceList.is_default.is_(True))).first()
        price_list = PriceList(name=name, active=True, is_default=default and has_default is None)
        session.add(price_list)
        session.flush()
    return price_list


def _price(session: Session, price_list: PriceList, product: Product, unit_price: Decimal) -> None:
    if session.get(PriceListEntry, (price_list.id, product.id)) is None:
        session.add(PriceListEntry(price_list_id=price_list.id, product_id=product.id, unit_price=unit_price))
