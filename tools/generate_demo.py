"""Write the demo city 示范市 (Demo City, 990100) into ``content/``.

The output is fully determined by the constants below: every random draw comes from
``random.Random`` seeded per dataset with a fixed string, only ``Random.random()`` is called
(its sequence is guaranteed stable across Python versions), and every number is formatted
explicitly. Running the script twice gives byte-identical files.

Usage::

    .venv/bin/python tools/generate_demo.py [--out content]

Everything stated in the bulletins is computed here from the rows written to the CSV files.
A few items are wrong on purpose (see ``content/README.md``) so the release rules have
something to catch; each error lives in its own item so the other items stay clean.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import shutil
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from publisher import standards

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

SEED = "demo-990100-v1"
YEAR = 2025
CST = timezone(timedelta(hours=8))
LICENSE = "CC-BY-4.0"
FIRST_DAY = date(YEAR, 1, 1)
DAYS = [FIRST_DAY + timedelta(days=i) for i in range(365)]

CITY = {"code": "990100", "name": "示范市", "name_en": "Demo City"}
AREAS = [
    {"code": "990100", "name": "示范市", "name_en": "Demo City", "level": "city"},
    {"code": "990102", "name": "城东区", "name_en": "Chengdong District", "level": "county"},
    {"code": "990103", "name": "城西区", "name_en": "Chengxi District", "level": "county"},
    {"code": "990121", "name": "清河县", "name_en": "Qinghe County", "level": "county"},
    {"code": "990122", "name": "青山县", "name_en": "Qingshan County", "level": "county"},
    {"code": "990181", "name": "湖滨市", "name_en": "Hubin", "level": "county"},
]
AREA_NAME = {a["code"]: a["name"] for a in AREAS}
AREA_NAME_EN = {a["code"]: a["name_en"] for a in AREAS}
CITY_AREA = {"code": "990100", "name": "示范市"}
CITY_BBOX = [113.95, 30.35, 114.85, 30.95]

# The county bureau that submits the pollution-source data of each county.
COUNTY_BUREAUS = {
    "990102": ("sthjj-chengdong", "chengdong"),
    "990103": ("sthjj-chengxi", "chengxi"),
    "990121": ("sthjj-qinghe", "qinghe"),
    "990122": ("sthjj-qingshan", "qingshan"),
    "990181": ("sthjj-hubin", "hubin"),
}

AIR_STATIONS = [
    {"id": "aq-chengdong", "name": "城东站", "name_en": "Chengdong", "area": "990102",
     "lat": 30.612, "lon": 114.358, "type": "urban"},
    {"id": "aq-chengxi", "name": "城西站", "name_en": "Chengxi", "area": "990103",
     "lat": 30.598, "lon": 114.241, "type": "urban"},
    {"id": "aq-qinghe", "name": "清河县站", "name_en": "Qinghe", "area": "990121",
     "lat": 30.742, "lon": 114.512, "type": "urban"},
    {"id": "aq-qingshan", "name": "青山县站", "name_en": "Qingshan", "area": "990122",
     "lat": 30.455, "lon": 114.096, "type": "urban"},
    {"id": "aq-hubin", "name": "湖滨站", "name_en": "Hubin", "area": "990181",
     "lat": 30.503, "lon": 114.687, "type": "urban"},
    {"id": "aq-baiyunshan", "name": "白云山站（清洁对照点）", "name_en": "Baiyunshan (background)",
     "area": "990122", "lat": 30.401, "lon": 114.012, "type": "background"},
]
URBAN_STATIONS = [s["id"] for s in AIR_STATIONS if s["type"] == "urban"]
# Relative level of primary pollution at each station (1.0 = city typical).
AIR_STATION_FACTORS = {
    "aq-chengdong": {"pm": 1.08, "no2": 1.25, "so2": 1.0, "co": 1.1, "o3": 0.95},
    "aq-chengxi": {"pm": 1.12, "no2": 1.15, "so2": 1.2, "co": 1.15, "o3": 0.95},
    "aq-qinghe": {"pm": 1.02, "no2": 0.9, "so2": 1.1, "co": 1.0, "o3": 1.0},
    "aq-qingshan": {"pm": 0.97, "no2": 0.8, "so2": 1.3, "co": 0.95, "o3": 1.02},
    "aq-hubin": {"pm": 0.9, "no2": 0.85, "so2": 0.8, "co": 0.9, "o3": 1.05},
    "aq-baiyunshan": {"pm": 0.55, "no2": 0.3, "so2": 0.5, "co": 0.6, "o3": 1.12},
}
AIR_COLUMNS = ["so2", "no2", "co", "o3", "pm10", "pm25"]
AIR_DECIMALS = {"so2": 1, "no2": 1, "co": 2, "o3": 1, "pm10": 1, "pm25": 1}
AIR_RANDOM_MISSING = 0.012
# Winter haze episodes: (first day, days of build-up, peak multiplier). They end abruptly, as a
# cold front clears the air, and hit every station at once.
AIR_EPISODES = [(date(2025, 1, 6), 5, 3.5), (date(2025, 1, 25), 5, 3.4),
                (date(2025, 2, 15), 4, 3.4), (date(2025, 12, 11), 5, 3.8)]
DUST_EVENT = (datetime(2025, 3, 20, 10, tzinfo=CST), datetime(2025, 3, 21, 20, tzinfo=CST))
FIREWORKS_NIGHT = datetime(2025, 1, 29, 1, tzinfo=CST)   # 除夕夜 (Spring Festival eve)
HEATING_SEASON = ((1, 1), (3, 15), (11, 15), (12, 31))
# Planted quality problems, each in exactly one place.
AIR_MAINTENANCE = ("aq-qingshan", datetime(2025, 6, 9, 10, tzinfo=CST),
                   datetime(2025, 6, 12, 17, tzinfo=CST))
AIR_FLATLINE = ("aq-hubin", "so2", datetime(2025, 8, 14, 3, tzinfo=CST), 30, 9.0)
AIR_SPIKE = ("aq-chengxi", "so2", datetime(2025, 4, 17, 10, tzinfo=CST), 847.0)
AIR_OUTAGES = [  # (station, first hour, hours, cause)
    ("aq-chengdong", datetime(2025, 2, 26, 14, tzinfo=CST), 6, "停电 power cut"),
    ("aq-qinghe", datetime(2025, 5, 3, 2, tzinfo=CST), 11, "通讯中断 data link failure"),
    ("aq-hubin", datetime(2025, 7, 22, 16, tzinfo=CST), 5, "雷击停电 lightning power cut"),
    ("aq-chengxi", datetime(2025, 9, 8, 9, tzinfo=CST), 8, "空调故障 air-conditioning failure"),
    ("aq-baiyunshan", datetime(2025, 11, 3, 20, tzinfo=CST), 14, "通讯中断 data link failure"),
]

AQI_CATEGORY = ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"]
AQI_CATEGORY_EN = ["excellent", "good", "lightly polluted", "moderately polluted",
                   "heavily polluted", "severely polluted"]
POLLUTANT_ZH = {"so2": "二氧化硫", "no2": "二氧化氮", "pm10": "可吸入颗粒物(PM10)",
                "co": "一氧化碳", "o3": "臭氧", "pm25": "细颗粒物(PM2.5)"}
POLLUTANT_EN = {"so2": "SO2", "no2": "NO2", "pm10": "PM10", "co": "CO", "o3": "O3",
                "pm25": "PM2.5"}
GRADE2_ANNUAL = {"pm25": 35, "pm10": 70, "no2": 40, "so2": 60, "co": 4.0, "o3": 160}

# GB 3838-2002 table 1 limits for classes I..V (rivers; lakes use their own TP/TN).
WATER_PARAMETERS = [  # (column, zh, en, unit, decimals, minimum, maximum)
    ("water_temp", "水温", "Water temperature", "℃", 1, -5, 45),
    ("ph", "pH值", "pH", None, 2, 0, 14),
    ("do", "溶解氧", "Dissolved oxygen", "mg/L", 1, 0, 25),
    ("codmn", "高锰酸盐指数", "Permanganate index", "mg/L", 1, 0, 100),
    ("cod", "化学需氧量", "Chemical oxygen demand", "mg/L", 0, 0, 500),
    ("bod5", "五日生化需氧量", "Five-day biochemical oxygen demand", "mg/L", 1, 0, 200),
    ("nh3n", "氨氮", "Ammonia nitrogen", "mg/L", 3, 0, 50),
    ("tp", "总磷", "Total phosphorus", "mg/L", 3, 0, 10),
    ("tn", "总氮", "Total nitrogen", "mg/L", 2, 0, 50),
    ("cu", "铜", "Copper", "mg/L", 4, 0, 10),
    ("zn", "锌", "Zinc", "mg/L", 3, 0, 10),
    ("fluoride", "氟化物", "Fluoride", "mg/L", 3, 0, 20),
    ("se", "硒", "Selenium", "mg/L", 5, 0, 1),
    ("as", "砷", "Arsenic", "mg/L", 5, 0, 1),
    ("hg", "汞", "Mercury", "mg/L", 6, 0, 0.1),
    ("cd", "镉", "Cadmium", "mg/L", 5, 0, 1),
    ("cr6", "六价铬", "Hexavalent chromium", "mg/L", 3, 0, 5),
    ("pb", "铅", "Lead", "mg/L", 5, 0, 5),
    ("cyanide", "氰化物", "Cyanide", "mg/L", 4, 0, 5),
    ("volatile_phenol", "挥发酚", "Volatile phenol", "mg/L", 5, 0, 5),
    ("petroleum", "石油类", "Petroleum", "mg/L", 3, 0, 50),
    ("las", "阴离子表面活性剂", "Anionic surfactant", "mg/L", 3, 0, 20),
    ("sulfide", "硫化物", "Sulfide", "mg/L", 4, 0, 20),
    ("fecal_coliform", "粪大肠菌群", "Fecal coliform", "个/L", 0, 0, 10000000),
]
WATER_CLASSES = ["I", "II", "III", "IV", "V", "劣V"]
# Column name -> parameter id of publisher/standards (gb3838-2002.yaml) where they differ.
STANDARD_PARAMETER = {"nh3n": "nh3_n", "cyanide": "cn", "volatile_phenol": "phenol"}

WATER_SECTIONS = [
    {"id": "ws-qinghe-up", "name": "清河上游断面", "name_en": "Qinghe upstream", "area": "990121",
     "water_body": "清河", "kind": "river", "target_class": "II", "lat": 30.812, "lon": 114.598},
    {"id": "ws-qinghe-city", "name": "清河城东断面", "name_en": "Qinghe at Chengdong",
     "area": "990102", "water_body": "清河", "kind": "river", "target_class": "III",
     "lat": 30.631, "lon": 114.392},
    {"id": "ws-qinghe-down", "name": "清河出境断面", "name_en": "Qinghe outflow", "area": "990181",
     "water_body": "清河", "kind": "river", "target_class": "III", "lat": 30.472, "lon": 114.776},
    {"id": "ws-baisha-river", "name": "白沙河城西断面", "name_en": "Baisha River at Chengxi",
     "area": "990103", "water_body": "白沙河", "kind": "river", "target_class": "III",
     "lat": 30.577, "lon": 114.205},
    {"id": "ws-qingshan-river", "name": "青山河入清河口断面", "name_en": "Qingshan River mouth",
     "area": "990122", "water_body": "青山河", "kind": "river", "target_class": "II",
     "lat": 30.488, "lon": 114.158},
    {"id": "ws-jinghu-lake", "name": "镜湖湖心断面", "name_en": "Jinghu Lake centre",
     "area": "990181", "water_body": "镜湖", "kind": "lake", "target_class": "III",
     "lat": 30.531, "lon": 114.702},
    {"id": "ws-qingshan-reservoir", "name": "青山水库坝前断面", "name_en": "Qingshan Reservoir dam",
     "area": "990122", "water_body": "青山水库", "kind": "reservoir", "target_class": "II",
     "lat": 30.423, "lon": 114.051},
]
# Typical level of the main parameters at each section:
# (codmn, cod, bod5, nh3n, tp, tn, fecal coliform) annual medians.
WATER_PROFILES = {
    "ws-qinghe-up": (2.6, 10.0, 1.8, 0.22, 0.055, 1.2, 900),
    "ws-qinghe-city": (3.9, 14.5, 2.6, 0.48, 0.11, 1.9, 3200),
    "ws-qinghe-down": (5.6, 21.0, 3.8, 1.05, 0.19, 2.9, 7800),
    "ws-baisha-river": (4.1, 15.5, 2.8, 0.55, 0.13, 2.0, 4100),
    "ws-qingshan-river": (2.3, 9.0, 1.6, 0.18, 0.048, 0.95, 650),
    "ws-jinghu-lake": (4.6, 17.0, 3.0, 0.32, 0.042, 1.05, 1200),
    "ws-qingshan-reservoir": (2.1, 8.5, 1.4, 0.11, 0.013, 0.48, 150),
}
# Half of each laboratory detection limit, used for results below it.
WATER_HALF_DL = {"cu": 0.0004, "zn": 0.025, "se": 0.0002, "as": 0.00015, "hg": 0.00002,
                 "cd": 0.00005, "cr6": 0.002, "pb": 0.0005, "cyanide": 0.002,
                 "volatile_phenol": 0.00015, "petroleum": 0.005, "las": 0.025,
                 "sulfide": 0.0025}


@dataclass(frozen=True)
class Outlet:
    """One discharge outlet of an enterprise."""

    id: str
    name: str
    medium: str          # "gas" or "water"
    flow: float          # m³/h for stacks, m³/d for wastewater
    first_day: date = FIRST_DAY


@dataclass(frozen=True)
class Enterprise:
    """A regulated enterprise (重点排污单位) and how its emissions behave."""

    id: str
    name: str
    name_en: str
    area: str
    industry: str
    industry_en: str
    outlets: tuple[Outlet, ...]
    limits: dict[str, float]
    typical: dict[str, float]     # typical share of the limit
    org_body: str                 # first 8 characters of the organisation code


ENTERPRISES = [
    Enterprise("ent-chengdong-wwtp", "示范市城东污水处理有限公司", "Chengdong Wastewater Treatment Co.",
               "990102", "污水处理及其再生利用", "sewage treatment",
               (Outlet("DW001", "总排口", "water", 80000),),
               {"cod": 50, "nh3n": 5, "tp": 0.5}, {"cod": 0.42, "nh3n": 0.18, "tp": 0.46},
               "MA1K7Q2R"),
    Enterprise("ent-huaxin-pharma", "示范市华信制药有限公司", "Huaxin Pharmaceutical Co.",
               "990102", "化学药品原料药制造", "pharmaceuticals",
               (Outlet("DA001", "燃气锅炉排口", "gas", 42000),),
               {"so2": 35, "nox": 50, "dust": 10}, {"so2": 0.12, "nox": 0.62, "dust": 0.22},
               "MA2BXL48"),
    Enterprise("ent-xijiao-thermal", "示范市西郊热电有限公司", "Xijiao Heat and Power Co.",
               "990103", "热电联产", "combined heat and power",
               (Outlet("DA001", "1号机组排口", "gas", 980000),
                Outlet("DA002", "2号机组排口", "gas", 1020000)),
               {"so2": 35, "nox": 50, "dust": 10}, {"so2": 0.52, "nox": 0.66, "dust": 0.32},
               "MA3C5D7E"),
    Enterprise("ent-hengsheng-steel", "示范市恒晟钢铁有限公司", "Hengsheng Steel Co.",
               "990103", "炼钢", "iron and steel",
               (Outlet("DA001", "烧结机头排口", "gas", 1450000),),
               {"so2": 35, "nox": 50, "dust": 10}, {"so2": 0.48, "nox": 0.7, "dust": 0.38},
               "MA4F8G2H"),
    Enterprise("ent-hongda-power", "示范市宏达热电有限公司", "Hongda Thermal Power Co.",
               "990121", "火力发电", "coal-fired power",
               (Outlet("DA001", "1号锅炉排口", "gas", 950000),
                Outlet("DA002", "2号锅炉排口", "gas", 960000)),
               {"so2": 35, "nox": 50, "dust": 10}, {"so2": 0.55, "nox": 0.68, "dust": 0.3},
               "MA1234J6"),
    Enterprise("ent-qinghe-chem", "示范市清河化工有限公司", "Qinghe Chemical Co.",
               "990121", "有机化学原料制造", "organic chemicals",
               (Outlet("DA001", "工艺加热炉排口", "gas", 68000),),
               {"so2": 50, "nox": 100, "dust": 20}, {"so2": 0.975, "nox": 0.58, "dust": 0.35},
               "MA5N3P9Q"),
    Enterprise("ent-qinghe-paper", "示范市清河纸业有限公司", "Qinghe Paper Co.",
               "990121", "机制纸及纸板制造", "paper",
               (Outlet("DW001", "废水总排口", "water", 12000),),
               {"cod": 80, "nh3n": 8, "tp": 0.8}, {"cod": 0.55, "nh3n": 0.25, "tp": 0.4},
               "MA6R2T4U"),
    Enterprise("ent-qingshan-cement", "示范市青山水泥有限公司", "Qingshan Cement Co.",
               "990122", "水泥制造", "cement",
               (Outlet("DA001", "窑尾排口", "gas", 520000),),
               {"so2": 100, "nox": 320, "dust": 20}, {"so2": 0.3, "nox": 0.78, "dust": 0.4},
               "MA7W6X1Y"),
    Enterprise("ent-qingshan-smelting", "示范市青山有色金属冶炼有限公司", "Qingshan Non-ferrous Smelting Co.",
               "990122", "铜冶炼", "copper smelting",
               (Outlet("DA001", "制酸尾气排口", "gas", 210000),
                Outlet("DA002", "环境集烟脱硫排口", "gas", 150000, date(2025, 10, 1))),
               {"so2": 100, "nox": 100, "dust": 10}, {"so2": 0.45, "nox": 0.35, "dust": 0.4},
               "MA8A3B5C"),
    Enterprise("ent-hubin-textile", "湖滨市锦纶印染有限公司", "Hubin Jinlun Dyeing Co.",
               "990181", "棉印染精加工", "textile dyeing",
               (Outlet("DW001", "废水总排口", "water", 6000),),
               {"cod": 80, "nh3n": 10, "tp": 0.5}, {"cod": 0.62, "nh3n": 0.2, "tp": 0.5},
               "MA9D4E6F"),
    Enterprise("ent-hubin-wwtp", "湖滨市城市污水处理有限公司", "Hubin Municipal Wastewater Co.",
               "990181", "污水处理及其再生利用", "sewage treatment",
               (Outlet("DW001", "总排口", "water", 40000),),
               {"cod": 50, "nh3n": 5, "tp": 0.5}, {"cod": 0.4, "nh3n": 0.16, "tp": 0.5},
               "MA0G7H8J"),
]
ENTERPRISE_BY_ID = {e.id: e for e in ENTERPRISES}
# Days without operation (no rows): planned overhauls and the cement kilns' winter
# staggered production (错峰生产).
SHUTDOWNS = {
    ("ent-xijiao-thermal", "DA002"): (date(2025, 4, 8), date(2025, 5, 6)),
    ("ent-hongda-power", "DA001"): (date(2025, 5, 12), date(2025, 6, 3)),
    ("ent-qingshan-cement", "DA001"): (date(2025, 1, 20), date(2025, 2, 28)),
}
EXCEEDANCES = {  # planted exceedance days: (enterprise, outlet, parameter) -> {day: ratio}
    ("ent-qingshan-cement", "DA001", "nox"): {date(2025, 7, 8): 1.06, date(2025, 11, 18): 1.09,
                                              date(2025, 11, 19): 1.14, date(2025, 11, 20): 1.04},
    ("ent-hubin-textile", "DW001", "cod"): {date(2025, 3, 11): 1.18, date(2025, 3, 12): 1.07},
}
SUSPICIOUS = ("ent-qinghe-chem", "DA001", "so2")      # values clustered just under the limit
SELF_MONITORING = "ent-hongda-power"                  # hourly December submission
LATE_Q4 = ("ent-qingshan-smelting", "DA002")          # outlet missing from the county file
LATE_Q4_STRAY = ("ent-hongda-power", "DA001", date(2025, 12, 15))   # the on-purpose stray row
EMISSION_UNITS = {"gas": "mg/m³", "water": "mg/L"}
EMISSION_PARAMETERS = {"gas": ["so2", "nox", "dust"], "water": ["cod", "nh3n", "tp"]}
EMISSION_DECIMALS = {"so2": 2, "nox": 2, "dust": 2, "cod": 1, "nh3n": 3, "tp": 3}
EMISSION_ZH = {"so2": "二氧化硫", "nox": "氮氧化物", "dust": "颗粒物", "cod": "化学需氧量",
               "nh3n": "氨氮", "tp": "总磷"}
EMISSION_EN = {"so2": "SO2", "nox": "NOx", "dust": "particulate matter", "cod": "COD",
               "nh3n": "ammonia nitrogen", "tp": "total phosphorus"}

RADIATION_STATIONS = [
    {"id": "rad-city", "name": "市区辐射环境自动监测站", "name_en": "City automatic station",
     "area": "990102", "lat": 30.607, "lon": 114.331, "baseline": 71.0},
    {"id": "rad-qingshan", "name": "青山辐射环境自动监测站", "name_en": "Qingshan automatic station",
     "area": "990122", "lat": 30.447, "lon": 114.088, "baseline": 92.0},
    {"id": "rad-hubin", "name": "湖滨辐射环境自动监测站", "name_en": "Hubin automatic station",
     "area": "990181", "lat": 30.509, "lon": 114.679, "baseline": 63.0},
]

# GB 3096-2008 limits, dB(A): zone class -> (day, night).
NOISE_LIMITS = {"0": (50, 40), "1": (55, 45), "2": (60, 50), "3": (65, 55), "4a": (70, 55)}
NOISE_ZONE_ZH = {"0": "0类（康复疗养区）", "1": "1类（居住文教区）", "2": "2类（混合区）",
                 "3": "3类（工业区）", "4a": "4a类（交通干线两侧）"}
NOISE_POINTS = [  # id, name, name_en, area, zone class, lat, lon, (day, night) typical level
    ("nz-cd-1", "城东文教区点位", "Chengdong education area", "990102", "1", 30.618, 114.342, (52.1, 43.0)),
    ("nz-cd-2", "城东商住区点位", "Chengdong mixed area", "990102", "2", 30.603, 114.366, (56.8, 47.6)),
    ("nz-cd-3", "东环路点位", "East Ring Road", "990102", "4a", 30.624, 114.371, (67.4, 56.3)),
    ("nz-cx-1", "城西居住区点位", "Chengxi residential area", "990103", "1", 30.591, 114.229, (53.0, 43.9)),
    ("nz-cx-2", "城西工业园点位", "Chengxi industrial park", "990103", "3", 30.572, 114.214, (60.9, 51.8)),
    ("nz-cx-3", "西环路点位", "West Ring Road", "990103", "4a", 30.601, 114.198, (68.1, 54.6)),
    ("nz-qh-1", "清河县城居住区点位", "Qinghe town residential", "990121", "1", 30.745, 114.506, (51.6, 42.4)),
    ("nz-qh-2", "清河县城商业区点位", "Qinghe town commercial", "990121", "2", 30.739, 114.520, (55.9, 46.8)),
    ("nz-qs-1", "青山疗养院点位", "Qingshan sanatorium", "990122", "0", 30.418, 114.031, (46.2, 37.5)),
    ("nz-qs-2", "青山县城混合区点位", "Qingshan town mixed area", "990122", "2", 30.459, 114.101, (55.2, 46.1)),
    ("nz-hb-1", "湖滨居住区点位", "Hubin residential area", "990181", "1", 30.506, 114.681, (52.4, 43.1)),
    ("nz-hb-2", "湖滨商住区点位", "Hubin mixed area", "990181", "2", 30.498, 114.693, (56.1, 47.0)),
    ("nz-hb-3", "滨湖大道点位", "Binhu Avenue", "990181", "4a", 30.512, 114.699, (66.6, 55.4)),
]
NOISE_DATES = [date(2025, 2, 19), date(2025, 5, 21), date(2025, 8, 20), date(2025, 11, 19)]
HUBIN_NOISE_POINTS = {"nz-hb-1", "nz-hb-2", "nz-hb-3"}

# Bulletin dates (all in the Chinese standard time zone).
BULLETIN_DATES = {
    "air-2025-10": "2025-11-06T10:00:00+08:00",
    "water-2025-q3": "2025-11-14T10:00:00+08:00",
    "notice-sampling-2025-12": "2025-12-01T09:00:00+08:00",
    "emissions-2025": "2026-01-16T10:00:00+08:00",
    "radiation-2025": "2026-01-22T10:00:00+08:00",
    # Scheduled: the demo's example of an embargoed release (see content/README.md).
    "noise-2025": "2026-12-15T10:00:00+08:00",
    "eco-status-2025-summary": "2026-02-12T10:00:00+08:00",
}

GB32100_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GB32100_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
GB11714_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

class Draws:
    """Random draws built on ``Random.random()`` only, whose sequence Python keeps stable."""

    def __init__(self, name: str) -> None:
        self._rng = random.Random(f"{SEED}/{name}")

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self._rng.random()

    def normal(self, mean: float = 0.0, sd: float = 1.0) -> float:
        # Box-Muller; 1 - random() keeps the logarithm's argument above zero.
        u1, u2 = 1.0 - self._rng.random(), self._rng.random()
        return mean + sd * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def chance(self, probability: float) -> bool:
        return self._rng.random() < probability


def fmt(value: float | None, decimals: int) -> str:
    """A number with a fixed number of decimals; None becomes an empty cell."""
    if value is None:
        return ""
    text = f"{value:.{decimals}f}"
    return "0" if decimals == 0 and text == "-0" else text


def fmt_limit(value: float) -> str:
    return f"{value:g}"


def iso_hour(moment: datetime) -> str:
    return moment.isoformat()


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile as defined in HJ 663-2013 (linear between ranks)."""
    ordered = sorted(values)
    k = 1 + (len(ordered) - 1) * p / 100
    low = int(math.floor(k))
    frac = k - low
    if low >= len(ordered):
        return ordered[-1]
    return ordered[low - 1] + frac * (ordered[low] - ordered[low - 1])


def pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%"


def pct2(part: int, whole: int) -> str:
    """A share with two decimals, for compliance rates close to 100%."""
    return f"{100.0 * part / whole:.2f}%"


def season_cos(day: date, peak_doy: int) -> float:
    """cos() of the day of the year, 1 at ``peak_doy`` and -1 half a year later."""
    doy = day.timetuple().tm_yday
    return math.cos(2 * math.pi * (doy - peak_doy) / 365)


def in_heating_season(day: date) -> bool:
    (m1, d1), (m2, d2), (m3, d3), (m4, d4) = HEATING_SEASON
    md = (day.month, day.day)
    return (m1, d1) <= md <= (m2, d2) or (m3, d3) <= md <= (m4, d4)


def org_code(body: str) -> str:
    """A GB 11714 organisation code: eight characters and their check character."""
    values = [int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in body]
    check = 11 - sum(w * v for w, v in zip(GB11714_WEIGHTS, values)) % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(area_code: str, org_body: str) -> str:
    """A GB 32100-2015 unified social credit code of an enterprise (登记管理部门 9, 类别 1)."""
    first17 = "91" + area_code + org_code(org_body)
    return first17 + gb32100_check_char(first17)


def gb32100_check_char(first17: str) -> str:
    total = sum(w * GB32100_CHARSET.index(c) for w, c in zip(GB32100_WEIGHTS, first17))
    return GB32100_CHARSET[(31 - total % 31) % 31]


def bi(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


class FlowDict(dict):
    """A mapping written on one line in YAML, like the registry examples."""


class LiteralStr(str):
    """A string written as a YAML literal block."""


class ContentDumper(yaml.SafeDumper):
    pass


ContentDumper.add_representer(
    FlowDict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))
ContentDumper.add_representer(
    LiteralStr, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|"))


def write_yaml(path: Path, data: Any, header: str = "") -> None:
    text = yaml.dump(data, Dumper=ContentDumper, allow_unicode=True, sort_keys=False,
                     width=100, default_flow_style=False)
    write_text(path, header + text)


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


def field(name: str, type_: str, zh: str, en: str, *, unit: str | None = None,
          parameter: str | None = None, references: str | None = None,
          description: dict[str, str] | None = None, **constraints: Any) -> dict[str, Any]:
    """One schema field in the order of the content model."""
    result: dict[str, Any] = {"name": name, "type": type_, "title": FlowDict(bi(zh, en))}
    if description:
        result["description"] = FlowDict(description)
    if unit:
        result["unit"] = unit
    if parameter:
        result["parameter"] = parameter
    if references:
        result["references"] = references
    if constraints:
        result["constraints"] = FlowDict(constraints)
    return result


def chart(id_: str, kind: str, resource: str, x: str, y: list[str], zh: str, en: str, *,
          group: str | None = None, aggregate: str = "none", options: dict | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"id": id_, "kind": kind, "resource": resource, "x": x, "y": y}
    if group:
        result["group"] = group
    result["aggregate"] = aggregate
    if options:
        result["options"] = options
    result["title"] = FlowDict(bi(zh, en))
    return result


EMISSION_PARAMETER_NAMES = {"so2": ("二氧化硫", "SO2"), "nox": ("氮氧化物", "NOx"), "dust": ("颗粒物", "Particulate matter"),
                            "cod": ("化学需氧量", "COD"), "nh3n": ("氨氮", "Ammonia nitrogen"),
                            "tp": ("总磷", "Total phosphorus")}


def dataset_metadata(id_: str, *, title: dict[str, str], description: dict[str, str],
                     category: str, department: str, area: dict[str, str],
                     update_frequency: str, temporal: tuple[date, date],
                     spatial: dict[str, str], status: str, resources: list[dict[str, Any]],
                     standards: list[str] | None = None,
                     methodology: dict[str, str] | None = None,
                     keywords: list[str] | None = None, classification: str = "public",
                     next_update: date | None = None,
                     charts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A dataset.yaml mapping with its keys in the order of the content model."""
    meta: dict[str, Any] = {
        "id": id_,
        "title": title,
        "description": {k: LiteralStr(v.strip() + "\n") for k, v in description.items()},
        "category": category,
        "department": department,
        "area": FlowDict(area),
        "classification": classification,
        "license": LICENSE,
        "update_frequency": update_frequency,
        "temporal": FlowDict({"start": temporal[0], "end": temporal[1]}),
        "spatial": {"description": spatial, "bbox": list(CITY_BBOX)}
        if area["code"] == "990100" else {"description": spatial},
        "status": status,
    }
    if standards:
        meta["standards"] = standards
    if methodology:
        meta["methodology"] = {k: LiteralStr(v.strip() + "\n") for k, v in methodology.items()}
    if keywords:
        meta["keywords"] = keywords
    if next_update:
        meta["next_update"] = next_update
    meta["resources"] = resources
    if charts:
        meta["charts"] = charts
    return meta


def resource(name: str, path: str, zh: str, en: str, primary_key: list[str],
             fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "path": path, "title": FlowDict(bi(zh, en)),
            "schema": {"primary_key": primary_key, "missing_values": [""], "fields": fields}}


# --------------------------------------------------------------------------------------------
# Air quality
# --------------------------------------------------------------------------------------------

@dataclass
class AirData:
    """Hourly values per station, as written (rounded), and the hour-ending timestamps."""

    times: list[datetime]
    values: dict[str, dict[str, list[float | None]]]   # station -> column -> hourly values


def episode_factor(day_float: float) -> float:
    """Multiplier of PM during the planted winter haze episodes (smooth build-up, sharp end)."""
    factor = 1.0
    for start, length, peak in AIR_EPISODES:
        t = day_float - (start - FIRST_DAY).days
        if 0 <= t < length:
            factor = max(factor, 1 + (peak - 1) * math.sin(math.pi / 2 * min(1.0, t / (length - 0.8))) ** 2)
        elif length <= t < length + 0.6:    # the cold front
            factor = max(factor, 1 + (peak - 1) * (1 - (t - length) / 0.6))
    return factor


def generate_air() -> AirData:
    """Hourly SO2, NO2, CO, O3, PM10, PM2.5 at every station for 2025 (hour-ending times)."""
    draws = Draws("air")
    start = datetime(YEAR, 1, 1, 1, tzinfo=CST)
    times = [start + timedelta(hours=h) for h in range(365 * 24)]
    # City-wide weather: stagnation (high = polluted) and sunshine (high = more ozone).
    stagnation = [0.0]
    sunshine = [0.0]
    for _ in range(1, 366):
        stagnation.append(0.7 * stagnation[-1] + draws.normal(0, 0.25))
        sunshine.append(0.6 * sunshine[-1] + draws.normal(0, 0.22))

    values: dict[str, dict[str, list[float | None]]] = {}
    for station in AIR_STATIONS:
        sid = station["id"]
        f = AIR_STATION_FACTORS[sid]
        noise = {c: 0.0 for c in ("pm", "no2", "so2", "co", "o3")}
        cols: dict[str, list[float | None]] = {c: [] for c in AIR_COLUMNS}
        for h, end in enumerate(times):
            begin = end - timedelta(hours=1)
            day = begin.date()
            hour = begin.hour
            day_float = h / 24.0
            i = int(day_float)
            frac = day_float - i
            stag = stagnation[i] * (1 - frac) + stagnation[i + 1] * frac
            sun = sunshine[i] * (1 - frac) + sunshine[i + 1] * frac
            for c in noise:
                noise[c] = 0.85 * noise[c] + draws.normal(0, 0.09)
            winter = season_cos(day, 12)
            episode = episode_factor(day_float)
            if episode > 1.2:          # an episode needs stagnant weather, whatever the draw said
                stag = max(stag, 0.1)

            pm_base = (28.0 + 14.5 * winter) * f["pm"]
            pm_diurnal = 1 + 0.14 * math.cos(2 * math.pi * (hour - 22) / 24) \
                + 0.06 * math.exp(-((hour - 8) ** 2) / 4)
            pm25 = pm_base * math.exp(stag + noise["pm"]) * episode * pm_diurnal
            ratio = 0.6 + 0.08 * winter + (0.1 if episode > 1.5 else 0.0) + draws.normal(0, 0.035)
            if DUST_EVENT[0] <= end <= DUST_EVENT[1]:
                storm = math.sin(math.pi * (end - DUST_EVENT[0]).total_seconds()
                                 / (DUST_EVENT[1] - DUST_EVENT[0]).total_seconds())
                pm25 *= 1 + 1.2 * storm
                ratio = 0.6 - 0.36 * storm + draws.normal(0, 0.02)
            fireworks = 0.0
            if station["type"] == "urban" and timedelta(0) <= end - FIREWORKS_NIGHT <= timedelta(hours=4):
                fireworks = (4 - (end - FIREWORKS_NIGHT).total_seconds() / 3600) / 4
                pm25 += 160 * fireworks
            pm10 = pm25 / min(0.88, max(0.22, ratio))

            traffic = 1 + 0.45 * math.exp(-((hour - 8) ** 2) / 3) \
                + 0.55 * math.exp(-((hour - 20) ** 2) / 6) - 0.3 * math.exp(-((hour - 14) ** 2) / 8)
            no2 = (27.0 + 11.0 * winter) * f["no2"] * traffic * math.exp(0.55 * stag + noise["no2"]) \
                * episode ** 0.35
            co = (0.62 + 0.3 * winter) * f["co"] * (0.75 + 0.25 * traffic) \
                * math.exp(0.45 * stag + noise["co"]) * episode ** 0.45
            heating = 4.5 if in_heating_season(day) else 0.0
            so2 = (6.5 + heating) * f["so2"] * (1 + 0.3 * math.exp(-((hour - 11) ** 2) / 8)) \
                * math.exp(0.35 * stag + noise["so2"]) + 25 * fireworks
            photo = (52 + 88 * (1 + season_cos(day, 175)) / 2) * math.exp(sun) \
                * math.exp(-((hour - 15) ** 2) / (2 * 3.2 ** 2))
            titration = 0.55 if station["type"] == "urban" else 1.0
            night = (30 + 12 * season_cos(day, 110)) * titration * (1.1 - 0.35 * math.exp(-((hour - 8) ** 2) / 4))
            o3 = (night + photo) * f["o3"] * math.exp(noise["o3"]) / (1 + 0.004 * max(0.0, no2 - 30))

            row = {"so2": round(so2, 1), "no2": round(no2, 1), "co": round(co, 2),
                   "o3": round(o3, 1), "pm10": round(pm10, 1), "pm25": round(pm25, 1)}
            if row["pm25"] >= row["pm10"]:
                row["pm10"] = round(row["pm25"] * 1.08 + 1, 1)
            for c in AIR_COLUMNS:
                cols[c].append(max(row[c], 0.1 if c != "co" else 0.05))
        values[sid] = cols
    data = AirData(times, values)
    plant_air_problems(data, draws)
    return data


def hour_index(moment: datetime) -> int:
    return int((moment - datetime(YEAR, 1, 1, 1, tzinfo=CST)).total_seconds() // 3600)


def plant_air_problems(data: AirData, draws: Draws) -> None:
    """Gaps, the flat-lined sensor and the spike, each at the place named in the constants."""
    protected: set[tuple[str, str, int]] = set()
    station, column, first, hours, value = AIR_FLATLINE
    for h in range(hour_index(first), hour_index(first) + hours):
        data.values[station][column][h] = value
        protected.add((station, column, h))
    station, column, moment, value = AIR_SPIKE
    data.values[station][column][hour_index(moment)] = value
    protected.add((station, column, hour_index(moment)))

    for sid, cols in data.values.items():
        for h in range(len(data.times)):
            if draws.chance(AIR_RANDOM_MISSING / 3):       # whole instrument rack lost an hour
                for c in AIR_COLUMNS:
                    if (sid, c, h) not in protected:
                        cols[c][h] = None
            for c in AIR_COLUMNS:
                if draws.chance(AIR_RANDOM_MISSING * 2 / 3) and (sid, c, h) not in protected:
                    cols[c][h] = None      # one analyser's value invalidated by QC
    outages = [(AIR_MAINTENANCE[0], AIR_MAINTENANCE[1],
                hour_index(AIR_MAINTENANCE[2]) - hour_index(AIR_MAINTENANCE[1]) + 1)]
    outages += [(s, t, n) for s, t, n, _ in AIR_OUTAGES]
    for sid, first, hours in outages:
        for h in range(hour_index(first), hour_index(first) + hours):
            for c in AIR_COLUMNS:
                data.values[sid][c][h] = None


# Demo pollutant keys -> (HJ 633 pollutant, averaging period) of publisher.standards.
IAQI_ITEMS = {"so2": ("so2", "24h"), "no2": ("no2", "24h"), "co": ("co", "24h"), "pm10": ("pm10", "24h"),
              "pm25": ("pm25", "24h"), "o3_1h": ("o3", "1h"), "o3_8h": ("o3", "8h")}


def iaqi(pollutant: str, concentration: float, day: date) -> int:
    """Individual AQI per the HJ 633 version in force on ``day`` (publisher.standards)."""
    return standards.iaqi(*IAQI_ITEMS[pollutant], concentration, day)


def aqi_category(aqi: int, day: date) -> int:
    """0 (优) .. 5 (严重污染)."""
    return standards.aqi_level(aqi, day).level - 1


@dataclass
class AirDaily:
    """Daily values per HJ 663-2013: 24-hour means, O3 daily max 1-hour and 8-hour."""

    station: dict[str, dict[date, dict[str, float]]]      # station -> day -> parameter -> value
    city: dict[date, dict[str, float]]                    # mean over the urban stations
    aqi: dict[date, tuple[int, list[str]]]                # city AQI and primary pollutants


def daily_air(data: AirData) -> AirDaily:
    """Daily statistics from the hourly values as written."""
    station_days: dict[str, dict[date, dict[str, float]]] = {}
    for sid, cols in data.values.items():
        days: dict[date, dict[str, float]] = {}
        for d, day in enumerate(DAYS):
            span = range(d * 24, d * 24 + 24)
            result: dict[str, float] = {}
            for c in ("so2", "no2", "co", "pm10", "pm25", "o3"):
                valid = [cols[c][h] for h in span if cols[c][h] is not None]
                if len(valid) >= 20:
                    result[c] = sum(valid) / len(valid)
            o3 = [cols["o3"][h] for h in span]
            o3_valid = [v for v in o3 if v is not None]
            if len(o3_valid) >= 20:
                result["o3_1h"] = max(o3_valid)
            windows = []
            for k in range(17):
                window = [v for v in o3[k:k + 8] if v is not None]
                if len(window) >= 6:
                    windows.append(sum(window) / len(window))
            if len(windows) >= 14:
                result["o3_8h"] = max(windows)
            result.pop("o3", None)
            days[day] = result
        station_days[sid] = days

    city: dict[date, dict[str, float]] = {}
    city_aqi: dict[date, tuple[int, list[str]]] = {}
    for day in DAYS:
        values: dict[str, float] = {}
        for p in ("so2", "no2", "co", "pm10", "pm25", "o3_1h", "o3_8h"):
            station_values = [station_days[s][day][p] for s in URBAN_STATIONS if p in station_days[s][day]]
            if station_values:
                # Not rounded before the IAQI: HJ 633-2012 does not ask for it (docs/standards.md).
                values[p] = sum(station_values) / len(station_values)
        city[day] = values
        if len(values) == 7:
            sub = {p: iaqi(p, values[p], day) for p in ("so2", "no2", "co", "pm10", "pm25", "o3_1h")}
            sub["o3_8h"] = iaqi("o3_8h", values["o3_8h"], day) if values["o3_8h"] <= 800 else sub["o3_1h"]
            merged = {"so2": sub["so2"], "no2": sub["no2"], "co": sub["co"], "pm10": sub["pm10"],
                      "pm25": sub["pm25"], "o3": max(sub["o3_1h"], sub["o3_8h"])}
            aqi = max(merged.values())
            primary = [p for p in ("pm25", "pm10", "o3", "no2", "so2", "co")
                       if aqi > 50 and merged[p] == aqi]
            city_aqi[day] = (aqi, primary)
    return AirDaily(station_days, city, city_aqi)


def air_period_summary(daily: AirDaily, days: list[date]) -> dict[str, Any]:
    """City statistics for a period as reported in bulletins (HJ 663-2013)."""
    assessed = [d for d in days if d in daily.aqi]
    categories = [aqi_category(daily.aqi[d][0], d) for d in assessed]
    primary_counts: dict[str, int] = defaultdict(int)
    for d in assessed:
        for p in daily.aqi[d][1]:
            primary_counts[p] += 1
    city = [daily.city[d] for d in days]
    summary: dict[str, Any] = {
        "assessed": len(assessed),
        "good": sum(1 for k in categories if k <= 1),
        "by_category": [categories.count(k) for k in range(6)],
        "primary": dict(sorted(primary_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        "pm25": mean(c["pm25"] for c in city if "pm25" in c),
        "pm10": mean(c["pm10"] for c in city if "pm10" in c),
        "no2": mean(c["no2"] for c in city if "no2" in c),
        "so2": mean(c["so2"] for c in city if "so2" in c),
        "co_p95": percentile([c["co"] for c in city if "co" in c], 95),
        "o3_p90": percentile([c["o3_8h"] for c in city if "o3_8h" in c], 90),
        "pm25_max_day": max((d for d in days if "pm25" in daily.city[d]),
                            key=lambda d: (daily.city[d]["pm25"], -d.toordinal())),
    }
    summary["pm25_max"] = daily.city[summary["pm25_max_day"]]["pm25"]
    summary["aqi_max_day"] = max(assessed, key=lambda d: (daily.aqi[d][0], -d.toordinal()))
    summary["stations"] = {}
    for s in [st["id"] for st in AIR_STATIONS]:
        vals = [daily.station[s][d]["pm25"] for d in days if "pm25" in daily.station[s][d]]
        summary["stations"][s] = {
            "pm25": mean(vals), "pm25_max": max(vals), "valid_days": len(vals),
            "over_75": sum(1 for v in vals if round(v) > 75)}
    return summary


def write_air(out: Path, data: AirData) -> None:
    """Dataset air-hourly-2025."""
    id_ = "air-hourly-2025"
    folder = out / "datasets" / id_
    rows = []
    for station in AIR_STATIONS:
        cols = data.values[station["id"]]
        for h, moment in enumerate(data.times):
            rows.append([station["id"], iso_hour(moment)]
                        + [fmt(cols[c][h], AIR_DECIMALS[c]) for c in AIR_COLUMNS])
    write_csv(folder / "air_hourly_2025.csv", ["station_id", "time"] + AIR_COLUMNS, rows)
    ug, mg = "μg/m³", "mg/m³"
    fields = [
        field("station_id", "string", "站点编号", "Station ID", references="air_stations",
              description=bi("见登记表 air_stations", "See registry air_stations"), required=True),
        field("time", "datetime", "时间（小时结束时刻）", "Time (end of the hour)",
              description=bi("小时结束时刻，01:00 表示 00:00–01:00 的小时平均值",
                             "End of the averaging hour: 01:00 is the mean of 00:00–01:00"),
              required=True),
        field("so2", "number", "二氧化硫(SO2)", "Sulphur dioxide (SO2)", unit=ug, parameter="so2",
              minimum=0, maximum=2620),
        field("no2", "number", "二氧化氮(NO2)", "Nitrogen dioxide (NO2)", unit=ug, parameter="no2",
              minimum=0, maximum=3840),
        field("co", "number", "一氧化碳(CO)", "Carbon monoxide (CO)", unit=mg, parameter="co",
              minimum=0, maximum=150),
        field("o3", "number", "臭氧(O3)", "Ozone (O3)", unit=ug, parameter="o3",
              minimum=0, maximum=1200),
        field("pm10", "number", "可吸入颗粒物(PM10)", "PM10", unit=ug, parameter="pm10",
              minimum=0, maximum=1500),
        field("pm25", "number", "细颗粒物(PM2.5)", "PM2.5", unit=ug, parameter="pm25",
              minimum=0, maximum=1000),
    ]
    meta = dataset_metadata(
        id_,
        title=bi("示范市2025年环境空气质量自动监测小时数据",
                 "Demo City hourly ambient air quality, 2025"),
        description=bi(
            """
示范市6个环境空气质量自动监测站（5个城市点、1个清洁对照点）2025年全年逐小时监测数据，
包括二氧化硫、二氧化氮、一氧化碳、臭氧、PM10和PM2.5六项基本项目。

- 时间为**小时结束时刻**（北京时间）：`2025-01-01T01:00:00+08:00` 表示1月1日00:00–01:00的小时平均值，
  全年最后一个小时记为 `2026-01-01T00:00:00+08:00`。
- 空值表示该小时数据缺失或经审核判定无效（停电、通讯中断、仪器维护、质控校准等）。
- 全市平均浓度按城市点计算，白云山站为清洁对照点，不参与全市平均。
""",
            """
Hourly values of the six criteria pollutants (SO2, NO2, CO, O3, PM10, PM2.5) at the six automatic
ambient air quality stations of Demo City (five urban stations and one background station) for 2025.

- `time` is the **end of the hour** (China Standard Time): `2025-01-01T01:00:00+08:00` is the mean
  of 00:00–01:00 on 1 January; the last hour of the year is `2026-01-01T00:00:00+08:00`.
- An empty cell means the hour is missing or was invalidated during review (power cut, data link
  failure, maintenance, calibration).
- City means are computed over the urban stations; Baiyunshan is a background station and is
  not included.
"""),
        category="air_quality", department="sthjj", area=CITY_AREA, update_frequency="monthly",
        temporal=(date(2025, 1, 1), date(2025, 12, 31)),
        spatial=bi("示范市全市，6个自动监测站", "Whole city, six automatic stations"),
        status="verified", standards=["HJ 633-2012", "GB 3095-2012", "HJ 663-2013"],
        methodology=bi(
            """
SO2、NO2、O3、CO采用紫外荧光法、化学发光法、紫外光度法和气体滤波相关红外吸收法连续自动监测；
PM10、PM2.5采用β射线法加动态加热系统。数据按 HJ 817-2018、HJ 818-2018 开展运维质控，经审核后发布。
气态污染物浓度为参比状态（25 ℃、101.325 kPa）浓度，颗粒物为实况浓度。
μg/m³ 保留一位小数，CO（mg/m³）保留两位小数。
""",
            """
SO2, NO2, O3 and CO are measured continuously by UV fluorescence, chemiluminescence, UV photometry
and gas-filter-correlation infrared absorption; PM10 and PM2.5 by beta attenuation with dynamic
heating. Operation and quality control follow HJ 817-2018 and HJ 818-2018; data were reviewed before release.
Gases are reported at reference conditions (25 ℃, 101.325 kPa), particles at actual conditions.
Values in μg/m³ have one decimal, CO (mg/m³) two.
"""),
        keywords=["环境空气质量", "空气质量指数", "PM2.5", "臭氧", "air quality", "AQI"],
        next_update=date(2026, 1, 15),
        resources=[resource("air-hourly", "air_hourly_2025.csv", "小时浓度", "Hourly concentrations",
                            ["station_id", "time"], fields)],
        charts=[
            chart("pm25-daily", "timeseries", "air-hourly", "time", ["pm25"],
                  "各站点PM2.5日均浓度", "Daily mean PM2.5 by station",
                  group="station_id", aggregate="daily-mean"),
            chart("pm10-daily", "timeseries", "air-hourly", "time", ["pm10"],
                  "各站点PM10日均浓度", "Daily mean PM10 by station",
                  group="station_id", aggregate="daily-mean"),
            chart("no2-monthly", "bar", "air-hourly", "time", ["no2"],
                  "各站点NO2月均浓度", "Monthly mean NO2 by station",
                  group="station_id", aggregate="monthly-mean"),
            chart("o3-monthly", "bar", "air-hourly", "time", ["o3"],
                  "各站点O3月均浓度", "Monthly mean O3 by station",
                  group="station_id", aggregate="monthly-mean"),
            chart("so2-co-monthly", "timeseries", "air-hourly", "time", ["so2", "co"],
                  "SO2与CO月均浓度", "Monthly mean SO2 and CO",
                  aggregate="monthly-mean"),
            chart("pm25-hourly-heatmap", "heatmap", "air-hourly", "time", ["pm25"],
                  "PM2.5小时浓度热力图", "Hourly PM2.5 heat map", group="station_id"),
            chart("aqi-calendar", "aqi-calendar", "air-hourly", "time", ["so2", "no2", "co", "o3", "pm10", "pm25"],
                  "各站点空气质量指数日历", "Daily AQI calendar by station", group="station_id"),
            chart("aqi-levels", "aqi-levels", "air-hourly", "time", ["so2", "no2", "co", "o3", "pm10", "pm25"],
                  "全市各月空气质量级别天数", "Days at each AQI level, city, by month", group="station_id"),
        ])
    write_yaml(folder / "dataset.yaml", meta)


def write_air_maintenance_log(out: Path) -> None:
    """Internal dataset air-station-maintenance-log-2025 (never public)."""
    id_ = "air-station-maintenance-log-2025"
    folder = out / "datasets" / id_
    rows = []
    station, first, last = AIR_MAINTENANCE
    rows.append([station, iso_hour(first - timedelta(hours=1)), iso_hour(last), "all",
                 "maintenance", "年度大修：更换PM10/PM2.5采样泵与动态加热管，多点校准",
                 "Annual overhaul: PM pumps and heaters replaced, multipoint calibration"])
    for sid, start, hours, cause in AIR_OUTAGES:
        zh, en = cause.split(" ", 1)
        rows.append([sid, iso_hour(start - timedelta(hours=1)),
                     iso_hour(start + timedelta(hours=hours - 1)), "all", "outage", zh, en])
    sid, column, first, hours, value = AIR_FLATLINE
    rows.append([sid, iso_hour(first - timedelta(hours=1)),
                 iso_hour(first + timedelta(hours=hours - 1)), column, "fault",
                 f"SO2分析仪零点漂移后输出冻结（恒为{value:.1f}），巡检发现后更换主板，数据待复核",
                 f"SO2 analyser output frozen at {value:.1f} after a zero drift; board replaced, "
                 "data to be reviewed"])
    sid, column, moment, value = AIR_SPIKE
    rows.append([sid, iso_hour(moment - timedelta(hours=1)), iso_hour(moment), column, "fault",
                 "SO2分析仪标气阀门未复位，单小时异常高值，待标记",
                 "SO2 span-gas valve left open; single abnormal hour, to be flagged"])
    rows.sort(key=lambda r: (r[1], r[0]))
    write_csv(folder / "maintenance_log_2025.csv",
              ["station_id", "start_time", "end_time", "parameters", "event", "note_zh", "note_en"], rows)
    fields = [
        field("station_id", "string", "站点编号", "Station ID", references="air_stations", required=True),
        field("start_time", "datetime", "开始时间", "Start", required=True),
        field("end_time", "datetime", "结束时间", "End", required=True),
        field("parameters", "string", "涉及项目", "Parameters",
              description=bi("all 表示全部项目", "all means every parameter")),
        field("event", "string", "事件类型", "Event", enum=["maintenance", "outage", "fault"]),
        field("note_zh", "string", "说明", "Note (Chinese)"),
        field("note_en", "string", "说明（英文）", "Note (English)"),
    ]
    meta = dataset_metadata(
        id_, title=bi("2025年空气自动站运维日志", "Air station maintenance log, 2025"),
        description=bi("空气自动监测站停运、维护和故障记录，供数据审核使用，不对外公开。",
                       "Outages, maintenance and faults of the air stations, for data review; not public."),
        category="air_quality", department="sthjj", area=CITY_AREA,
        update_frequency="irregular", temporal=(date(2025, 1, 1), date(2025, 12, 31)),
        spatial=bi("示范市空气自动监测站", "Air quality stations of Demo City"),
        status="provisional", classification="internal",
        methodology=bi("由运维单位填报，站点管理员复核。", "Filed by the operator, checked by the station manager."),
        keywords=["运维", "maintenance"],
        resources=[resource("log", "maintenance_log_2025.csv", "运维日志", "Maintenance log",
                            ["station_id", "start_time", "parameters"], fields)])
    write_yaml(folder / "dataset.yaml", meta)


# --------------------------------------------------------------------------------------------
# Surface water
# --------------------------------------------------------------------------------------------

def sample_days() -> list[date]:
    """The monthly sampling day: the second Tuesday of each month (a working day)."""
    result = []
    for month in range(1, 13):
        d = date(YEAR, month, 8)
        while d.weekday() != 1:
            d += timedelta(days=1)
        result.append(d)
    return result


def generate_water() -> list[dict[str, Any]]:
    """Monthly samples of the GB 3838-2002 basic parameters at every section."""
    draws = Draws("water")
    rows = []
    for section in WATER_SECTIONS:
        sid = section["id"]
        codmn, cod, bod5, nh3n, tp, tn, coli = WATER_PROFILES[sid]
        still = section["kind"] != "river"
        for day in sample_days():
            summer = season_cos(day, 200)             # 1 at the end of July
            dry = max(0.0, season_cos(day, 20))        # low flow in winter: less dilution
            wt = 17.5 + 11.5 * summer + draws.normal(0, 0.8) - (1.5 if sid.endswith("reservoir") else 0)
            do_sat = 14.6 - 0.39 * wt + 0.0055 * wt * wt
            algae = max(0.0, summer) if still else 0.0
            do = do_sat * (0.9 - 0.12 * (nh3n > 0.8) + 0.1 * algae) + draws.normal(0, 0.35)
            r: dict[str, float] = {
                "water_temp": wt,
                "ph": 7.6 + 0.35 * algae + draws.normal(0, 0.12),
                "do": do,
                "codmn": codmn * (1 + 0.12 * summer + 0.1 * dry) * math.exp(draws.normal(0, 0.1)),
                "nh3n": nh3n * (1 + 0.45 * dry - 0.2 * max(0.0, summer)) * math.exp(draws.normal(0, 0.18)),
                "tp": tp * (1 + (0.85 * algae if still else 0.15 * summer + 0.2 * dry))
                * math.exp(draws.normal(0, 0.12)),
                "tn": tn * (1 + 0.2 * dry) * math.exp(draws.normal(0, 0.1)),
                "fecal_coliform": coli * (1 + 0.6 * max(0.0, summer)) * math.exp(draws.normal(0, 0.35)),
            }
            r["cod"] = r["codmn"] * cod / codmn * math.exp(draws.normal(0, 0.06))
            r["bod5"] = r["codmn"] * bod5 / codmn * math.exp(draws.normal(0, 0.08))
            polluted = sid in ("ws-qinghe-down", "ws-baisha-river", "ws-qinghe-city")
            r["cu"] = max(WATER_HALF_DL["cu"], draws.uniform(0.0005, 0.004 if polluted else 0.002))
            r["zn"] = WATER_HALF_DL["zn"] if draws.chance(0.6) else draws.uniform(0.05, 0.09)
            r["fluoride"] = draws.uniform(0.18, 0.42) + (0.15 if polluted else 0.0)
            r["se"] = WATER_HALF_DL["se"] if draws.chance(0.7) else draws.uniform(0.0004, 0.0009)
            r["as"] = draws.uniform(0.0006, 0.0032)
            r["hg"] = WATER_HALF_DL["hg"] if draws.chance(0.85) else draws.uniform(0.00004, 0.00006)
            r["cd"] = WATER_HALF_DL["cd"] if draws.chance(0.8) else draws.uniform(0.0001, 0.0003)
            r["cr6"] = WATER_HALF_DL["cr6"] if draws.chance(0.75) else draws.uniform(0.004, 0.008)
            r["pb"] = WATER_HALF_DL["pb"] if draws.chance(0.7) else draws.uniform(0.001, 0.0028)
            r["cyanide"] = WATER_HALF_DL["cyanide"] if draws.chance(0.85) else draws.uniform(0.004, 0.009)
            r["volatile_phenol"] = WATER_HALF_DL["volatile_phenol"] if draws.chance(0.75) \
                else draws.uniform(0.0003, 0.0012 if polluted else 0.0008)
            r["petroleum"] = WATER_HALF_DL["petroleum"] if draws.chance(0.4) \
                else draws.uniform(0.01, 0.045 if polluted else 0.03)
            r["las"] = WATER_HALF_DL["las"] if draws.chance(0.5) \
                else draws.uniform(0.05, 0.14 if polluted else 0.08)
            r["sulfide"] = WATER_HALF_DL["sulfide"] if draws.chance(0.7) else draws.uniform(0.005, 0.02)
            row: dict[str, Any] = {"section_id": sid, "sample_date": day}
            for col, _zh, _en, _unit, decimals, _lo, _hi in WATER_PARAMETERS:
                if col == "tn" and not still:
                    row[col] = None          # TN is measured for lakes and reservoirs only
                    continue
                row[col] = float(fmt(r[col], decimals))
            rows.append(row)
    return rows


def water_class(sample: dict[str, float], kind: str, day: date) -> tuple[int, list[str], dict[str, float]]:
    """GB 3838 single-factor class (index 0..5, I..劣V) of mean concentrations, the columns worse
    than class III and their multiples over the class III limit (publisher.standards)."""
    by_id = {STANDARD_PARAMETER.get(c, c): v for c, v in sample.items() if v is not None}
    result = standards.section_class(by_id, kind, day)
    column = {STANDARD_PARAMETER.get(c, c): c for c in sample}
    above = [column[p] for p, cls in result.parameter_classes.items() if WATER_CLASSES.index(cls) >= 3]
    times = {column[p]: m for p, m in result.exceedance_multiples.items()}
    return WATER_CLASSES.index(result.water_class), above, times


def section_means(rows: list[dict[str, Any]], section: str, months: set[int]) -> dict[str, float]:
    picked = [r for r in rows if r["section_id"] == section and r["sample_date"].month in months]
    return {c: sum(r[c] for r in picked) / len(picked)
            for c, *_ in WATER_PARAMETERS if picked[0][c] is not None}


def write_water(out: Path, rows: list[dict[str, Any]]) -> None:
    """Dataset surface-water-2025."""
    id_ = "surface-water-2025"
    folder = out / "datasets" / id_
    columns = [p[0] for p in WATER_PARAMETERS]
    decimals = {p[0]: p[4] for p in WATER_PARAMETERS}
    write_csv(folder / "surface_water_2025.csv", ["section_id", "sample_date"] + columns,
              [[r["section_id"], r["sample_date"].isoformat()]
               + [fmt(r[c], decimals[c]) for c in columns] for r in rows])
    fields = [
        field("section_id", "string", "断面编号", "Section ID", references="water_sections",
              description=bi("见登记表 water_sections", "See registry water_sections"), required=True),
        field("sample_date", "date", "采样日期", "Sampling date", required=True),
    ]
    for col, zh, en, unit, _dec, lo, hi in WATER_PARAMETERS:
        extra: dict[str, Any] = {}
        if col == "tn":
            extra["description"] = bi("仅湖库监测；河流断面为空", "Lakes and reservoirs only; empty for rivers")
        elif col in WATER_HALF_DL:
            extra["description"] = bi("未检出时按检出限的一半报出",
                                      "Results below the detection limit are reported as half of it")
        parameter = None if col == "water_temp" else STANDARD_PARAMETER.get(col, col)
        fields.append(field(col, "number" if col != "fecal_coliform" else "integer", zh, en,
                            unit=unit, parameter=parameter, minimum=lo, maximum=hi, **extra))
    meta = dataset_metadata(
        id_,
        title=bi("示范市2025年地表水环境质量监测数据", "Demo City surface water quality, 2025"),
        description=bi(
            """
全市7个地表水监测断面（5个河流断面、1个湖泊断面、1个水库断面）2025年逐月手工监测结果，
项目为《地表水环境质量标准》（GB 3838-2002）表1基本项目。各断面水质目标见登记表 `target_class`。
""",
            """
Monthly grab-sample results at the city's seven surface water sections (five river sections, one lake,
one reservoir) for 2025: the basic parameters of table 1 of GB 3838-2002. Each section's target class
is given in the registry (`target_class`).
"""),
        category="surface_water", department="sthjj", area=CITY_AREA, update_frequency="monthly",
        temporal=(date(2025, 1, 1), date(2025, 12, 31)),
        spatial=bi("清河、白沙河、青山河干支流及镜湖、青山水库", "Qinghe, Baisha and Qingshan rivers, Jinghu Lake, Qingshan Reservoir"),
        status="verified", standards=["GB 3838-2002", "HJ 91.2-2022"],
        methodology=bi(
            """
每月第二个星期二采样，按 HJ 91.2-2022 采集表层水样，实验室按 GB 3838-2002 表4规定的方法分析。
低于检出限的结果按检出限的一半报出。水质类别评价按《地表水环境质量评价办法（试行）》，
以单因子评价法确定，水温、总氮和粪大肠菌群不参与评价，湖库总氮单独评价。
""",
            """
Samples are taken monthly (second Tuesday) at the surface per HJ 91.2-2022 and analysed by the methods
of table 4 of GB 3838-2002. Results below the detection limit are reported as half of it. Water classes
follow the national assessment method (single-factor, worst parameter); water temperature, TN and
fecal coliform are not used for the class; TN of lakes and reservoirs is assessed separately.
"""),
        keywords=["地表水", "水质类别", "国控断面", "surface water", "GB 3838"],
        next_update=date(2026, 1, 20),
        resources=[resource("samples", "surface_water_2025.csv", "月度监测结果", "Monthly results",
                            ["section_id", "sample_date"], fields)],
        charts=[
            chart("codmn-monthly", "timeseries", "samples", "sample_date", ["codmn"],
                  "各断面高锰酸盐指数", "Permanganate index by section", group="section_id"),
            chart("nh3n-monthly", "timeseries", "samples", "sample_date", ["nh3n"],
                  "各断面氨氮浓度", "Ammonia nitrogen by section", group="section_id"),
            chart("tp-monthly", "bar", "samples", "sample_date", ["tp"],
                  "各断面总磷浓度", "Total phosphorus by section", group="section_id"),
            chart("do-monthly", "timeseries", "samples", "sample_date", ["do"],
                  "各断面溶解氧", "Dissolved oxygen by section", group="section_id"),
            chart("water-class", "water-class", "samples", "sample_date",
                  ["ph", "do", "codmn", "cod", "bod5", "nh3n", "tp", "tn", "cu", "zn", "fluoride", "se", "as",
                   "hg", "cd", "cr6", "pb", "cyanide", "volatile_phenol", "petroleum", "las", "sulfide"],
                  "各断面水质类别（单因子评价）", "Water quality class by section (single-factor method)",
                  group="section_id"),
        ])
    write_yaml(folder / "dataset.yaml", meta)


# --------------------------------------------------------------------------------------------
# Pollution sources
# --------------------------------------------------------------------------------------------

EMISSION_HEADER = ["area_code", "credit_code", "enterprise_id", "outlet_id", "date",
                   "parameter", "value", "unit", "limit", "flow"]


@dataclass
class EmissionRow:
    enterprise: Enterprise
    outlet: Outlet
    day: date
    parameter: str
    value: float
    flow: float

    def cells(self) -> list[str]:
        e = self.enterprise
        return [e.area, credit_code(e.area, e.org_body), e.id, self.outlet.id, self.day.isoformat(),
                self.parameter, fmt(self.value, EMISSION_DECIMALS[self.parameter]),
                EMISSION_UNITS[self.outlet.medium], fmt_limit(e.limits[self.parameter]),
                fmt(self.flow, 0)]


@dataclass
class HourlyStack:
    """Hourly stack values of the self-monitoring enterprise for December."""

    times: list[datetime]
    values: dict[str, dict[str, list[float]]]      # outlet -> column -> values (rounded)


SELF_COLUMNS = ["so2", "nox", "dust", "o2", "flow", "flue_temp"]
SELF_DECIMALS = {"so2": 2, "nox": 2, "dust": 2, "o2": 1, "flow": 0, "flue_temp": 1}


def generate_self_monitoring() -> HourlyStack:
    """Hourly December data of the self-monitoring enterprise's boilers."""
    draws = Draws("self-monitoring")
    e = ENTERPRISE_BY_ID[SELF_MONITORING]
    start = datetime(YEAR, 12, 1, 1, tzinfo=CST)
    times = [start + timedelta(hours=h) for h in range(31 * 24)]
    values: dict[str, dict[str, list[float]]] = {}
    for outlet in e.outlets:
        cols: dict[str, list[float]] = {c: [] for c in SELF_COLUMNS}
        state = {p: 0.0 for p in ("so2", "nox", "dust")}
        for moment in times:
            hour = (moment - timedelta(hours=1)).hour
            load = 0.82 + 0.14 * math.sin(math.pi * (hour - 6) / 12) if 6 <= hour <= 22 else 0.7
            for p in state:
                state[p] = 0.8 * state[p] + draws.normal(0, 0.06)
                level = e.limits[p] * e.typical[p] * (1.05 if p == "nox" and load < 0.75 else 1.0)
                cols[p].append(round(level * math.exp(state[p]), SELF_DECIMALS[p]))
            cols["o2"].append(round(6.6 - 1.4 * load + draws.normal(0, 0.2), 1))
            cols["flow"].append(float(round(outlet.flow * load * (1 + draws.normal(0, 0.02)))))
            cols["flue_temp"].append(round(49.5 + 3 * load + draws.normal(0, 0.6), 1))
        values[outlet.id] = cols
    return HourlyStack(times, values)


def generate_emissions(hourly: HourlyStack) -> list[EmissionRow]:
    """Daily automatic-monitoring values of every enterprise outlet for 2025."""
    draws = Draws("emissions")
    rows: list[EmissionRow] = []
    for e in ENTERPRISES:
        for outlet in e.outlets:
            state = {p: 0.0 for p in EMISSION_PARAMETERS[outlet.medium]}
            shutdown = SHUTDOWNS.get((e.id, outlet.id))
            for day in DAYS:
                for p in state:                  # keep the random stream independent of gaps
                    state[p] = 0.75 * state[p] + draws.normal(0, 0.11)
                near_limit = draws.uniform(0.951, 0.998)
                honest_day = draws.chance(0.12)
                flow_noise = draws.normal(0, 0.04)
                if day < outlet.first_day or (shutdown and shutdown[0] <= day <= shutdown[1]):
                    continue
                if e.id == SELF_MONITORING and day.month == 12:
                    rows.extend(daily_from_hourly(e, outlet, day, hourly))
                    continue
                winter = season_cos(day, 15)
                load = 1 + 0.1 * winter if outlet.medium == "gas" else 1 - 0.1 * winter
                flow = outlet.flow * load * (1 + flow_noise)
                for p in state:
                    limit = e.limits[p]
                    seasonal = 1 + (0.35 * max(0.0, winter) if p == "nh3n" else 0.0)
                    value = limit * e.typical[p] * seasonal * math.exp(state[p])
                    if (e.id, outlet.id, p) == SUSPICIOUS:
                        # Most days sit at 95–99.9% of the limit; the rest look like a real stack.
                        value = limit * (near_limit if not honest_day
                                         else soft_cap(0.62 * math.exp(state[p])))
                    else:
                        value = limit * soft_cap(value / limit)
                    ratio = EXCEEDANCES.get((e.id, outlet.id, p), {}).get(day)
                    if ratio:
                        value = limit * ratio
                    rows.append(EmissionRow(e, outlet, day, p, value, flow))
    return rows


def soft_cap(ratio: float) -> float:
    """Operators react before the limit: ratios above 0.85 are compressed smoothly below 0.95."""
    if ratio <= 0.85:
        return ratio
    return 0.85 + 0.1 * math.tanh((ratio - 0.85) / 0.1)


def daily_from_hourly(e: Enterprise, outlet: Outlet, day: date, hourly: HourlyStack) -> list[EmissionRow]:
    """The daily means of the self-monitoring enterprise, from its own hourly submission."""
    d = day.day - 1
    cols = hourly.values[outlet.id]
    flow = sum(cols["flow"][d * 24:d * 24 + 24]) / 24
    return [EmissionRow(e, outlet, day, p, sum(cols[p][d * 24:d * 24 + 24]) / 24, flow)
            for p in EMISSION_PARAMETERS["gas"]]


def emission_fields(medium: str) -> list[dict[str, Any]]:
    unit = EMISSION_UNITS[medium]
    flow_unit = "m³/h" if medium == "gas" else "m³/d"
    return [
        field("area_code", "string", "行政区划代码", "Area code", pattern="^[0-9]{6}$", required=True,
              description=bi("排污单位所在县（市、区）", "County where the enterprise is located")),
        field("credit_code", "string", "统一社会信用代码", "Unified social credit code",
              pattern="^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$", required=True),
        field("enterprise_id", "string", "排污单位编号", "Enterprise ID", references="enterprises",
              required=True),
        field("outlet_id", "string", "排放口编号", "Outlet ID", required=True,
              description=bi("排污许可证载明的排放口编号", "Outlet number in the discharge permit")),
        field("date", "date", "监测日期", "Date", required=True),
        field("parameter", "string", "监测项目", "Parameter", required=True,
              enum=EMISSION_PARAMETERS[medium],
              description=bi("、".join(f"{p}={EMISSION_ZH[p]}" for p in EMISSION_PARAMETERS[medium]),
                             ", ".join(f"{p} = {EMISSION_EN[p]}" for p in EMISSION_PARAMETERS[medium]))),
        field("value", "number", "日均浓度", "Daily mean concentration", minimum=0, required=True,
              description=bi("废气为折算浓度" if medium == "gas" else "废水日均浓度",
                             "Corrected to the reference oxygen content" if medium == "gas"
                             else "Daily mean concentration"), **{}),
        field("unit", "string", "计量单位", "Unit", enum=[unit], required=True),
        field("limit", "number", "许可排放浓度限值", "Permit limit", minimum=0, required=True,
              description=bi(f"排污许可证载明的限值，单位同 unit（{unit}）",
                             f"Limit in the discharge permit, same unit as `unit` ({unit})")),
        field("flow", "number", "废气流量（标态）" if medium == "gas" else "废水排放量",
              "Flue gas flow (standard)" if medium == "gas" else "Wastewater discharged",
              unit=flow_unit, minimum=0),
    ]


def write_emissions_county(out: Path, area: str, rows: list[EmissionRow]) -> str:
    """Dataset emissions-<county>-2025, submitted by the county bureau."""
    department, slug = COUNTY_BUREAUS[area]
    id_ = f"emissions-{slug}-2025"
    folder = out / "datasets" / id_
    county_rows = [r for r in rows if r.enterprise.area == area]
    resources, charts = [], []
    for medium, name, zh, en in (("gas", "stack", "废气排放口日均值", "Stack daily means"),
                                  ("water", "wastewater", "废水排放口日均值", "Wastewater daily means")):
        medium_rows = [r for r in county_rows if r.outlet.medium == medium]
        if not medium_rows:
            continue
        path = f"{name}_{slug}_2025.csv"
        write_csv(folder / path, EMISSION_HEADER, [r.cells() for r in medium_rows])
        resources.append(resource(name, path, zh, en,
                                  ["enterprise_id", "outlet_id", "date", "parameter"],
                                  emission_fields(medium)))
        # one chart per pollutant: concentrations of different pollutants never share an axis
        for parameter in sorted({r.parameter for r in medium_rows}):
            p_zh, p_en = EMISSION_PARAMETER_NAMES[parameter]
            charts.append(chart(f"{name}-{parameter}-vs-limit", "limits", name, "date", ["value", "limit"],
                                f"{AREA_NAME[area]}{p_zh}日均浓度与许可限值",
                                f"{p_en}: daily means against permit limits",
                                group="enterprise_id", options={"filter": {"parameter": parameter}}))
    enterprises = sorted({r.enterprise.id for r in county_rows})
    names = "、".join(ENTERPRISE_BY_ID[e].name for e in enterprises)
    names_en = ", ".join(f"{ENTERPRISE_BY_ID[e].name_en} ({ENTERPRISE_BY_ID[e].industry_en})"
                         for e in enterprises)
    meta = dataset_metadata(
        id_,
        title=bi(f"{AREA_NAME[area]}重点排污单位2025年自动监测日均值",
                 f"{AREA_NAME_EN[area]}: daily automatic monitoring of key dischargers, 2025"),
        description=bi(
            f"""
{AREA_NAME[area]}重点排污单位（{names}）排放口在线自动监测设备2025年日均值，
由示范市生态环境局{AREA_NAME[area][:-1]}分局汇总报送。每行为一个排放口一天一个监测项目的数据（长表）：
`parameter` 为项目，`value` 为日均浓度，`unit` 为单位，`limit` 为排污许可证载明的浓度限值，
`flow` 为当日流量。停产、检修日无数据行。
""",
            f"""
Daily means of the continuous emission monitoring systems of the key dischargers in
{AREA_NAME_EN[area]} ({names_en}) for 2025, compiled by the county bureau. One row per outlet, day and
parameter (long format): `parameter` names it, `value` is the daily mean, `unit` its unit, `limit` the
concentration limit of the discharge permit and `flow` the day's flow. Days without operation have no rows.
"""),
        category="pollution_source", department=department,
        area={"code": area, "name": AREA_NAME[area]}, update_frequency="daily",
        temporal=(date(2025, 1, 1), date(2025, 12, 31)),
        spatial=bi(f"{AREA_NAME[area]}辖区", f"{AREA_NAME_EN[area]}"), status="verified",
        standards=["HJ 75-2017", "HJ 353-2019", "HJ 819-2017"],
        methodology=bi(
            """
废气：烟气排放连续监测系统（CEMS），颗粒物、二氧化硫、氮氧化物按基准氧含量折算，流量为标态干烟气小时均值的日平均。
废水：水质自动分析仪（化学需氧量、氨氮、总磷），日均值为流量加权平均，排放量为日累计。
数据经企业确认、分局审核。
""",
            """
Flue gas: continuous emission monitoring systems; particulate matter, SO2 and NOx corrected to the
reference oxygen content; flow is the daily mean of hourly dry standard flow. Wastewater: automatic
analysers (COD, ammonia nitrogen, total phosphorus); daily means are flow-weighted, discharge is the
daily total. Confirmed by the enterprise and reviewed by the county bureau.
"""),
        keywords=["重点排污单位", "自动监测", "排污许可", "pollution source", "CEMS"],
        resources=resources, charts=charts)
    write_yaml(folder / "dataset.yaml", meta)
    return id_


def write_emissions_late(out: Path, rows: list[EmissionRow]) -> None:
    """ON PURPOSE wrong: Qingshan's late Q4 submission with one row of a Qinghe enterprise."""
    id_ = "emissions-qingshan-2025q4-late"
    department, _slug = COUNTY_BUREAUS["990122"]
    folder = out / "datasets" / id_
    enterprise_id, outlet_id = LATE_Q4
    own = [r for r in rows if r.enterprise.id == enterprise_id and r.outlet.id == outlet_id]
    stray_e, stray_outlet, stray_day = LATE_Q4_STRAY
    stray = [r for r in rows if r.enterprise.id == stray_e and r.outlet.id == stray_outlet
             and r.day == stray_day and r.parameter == "so2"]
    write_csv(folder / "stack_qingshan_2025q4_late.csv", EMISSION_HEADER,
              [r.cells() for r in own + stray])
    e = ENTERPRISE_BY_ID[enterprise_id]
    meta = dataset_metadata(
        id_,
        title=bi("青山县重点排污单位2025年第四季度补报数据",
                 "Qingshan County: late Q4 2025 submission of key dischargers"),
        description=bi(
            f"""
{e.name}环境集烟脱硫排口（DA002）于2025年10月1日投运，其自动监测数据未纳入年度汇总，现予补报。
字段说明同 `emissions-qingshan-2025`。
""",
            f"""
The stack DA002 of {e.name_en} started on 1 October 2025 and was missing from the annual
compilation; its data are submitted here. Columns as in `emissions-qingshan-2025`.
"""),
        category="pollution_source", department=department,
        area={"code": "990122", "name": AREA_NAME["990122"]}, update_frequency="irregular",
        temporal=(date(2025, 10, 1), date(2025, 12, 31)),
        spatial=bi("青山县辖区", "Qingshan County"), status="verified",
        standards=["HJ 75-2017"],
        keywords=["重点排污单位", "补报", "late submission"],
        resources=[resource("stack", "stack_qingshan_2025q4_late.csv", "废气排放口日均值（补报）",
                            "Stack daily means (late)", ["enterprise_id", "outlet_id", "date", "parameter"],
                            emission_fields("gas"))],
        charts=[chart("stack-vs-limit", "limits", "stack", "date", ["value", "limit"],
                      "补报排口日均值与许可限值", "Late stack daily means against permit limits",
                      group="enterprise_id")])
    write_yaml(folder / "dataset.yaml", meta)


def write_self_monitoring(out: Path, hourly: HourlyStack) -> str:
    """Dataset self-monitoring-<slug>-2025-12, submitted by the enterprise itself."""
    e = ENTERPRISE_BY_ID[SELF_MONITORING]
    slug = e.id.removeprefix("ent-")
    id_ = f"self-monitoring-{slug}-2025-12"
    folder = out / "datasets" / id_
    code = credit_code(e.area, e.org_body)
    rows = []
    for outlet in e.outlets:
        cols = hourly.values[outlet.id]
        for h, moment in enumerate(hourly.times):
            rows.append([e.area, code, e.id, outlet.id, iso_hour(moment)]
                        + [fmt(cols[c][h], SELF_DECIMALS[c]) for c in SELF_COLUMNS])
    path = f"stack_hourly_{slug.replace('-', '_')}_2025_12.csv"
    write_csv(folder / path, ["area_code", "credit_code", "enterprise_id", "outlet_id", "time"] + SELF_COLUMNS,
              rows)
    mg = "mg/m³"
    fields = [
        field("area_code", "string", "行政区划代码", "Area code", pattern="^[0-9]{6}$", required=True),
        field("credit_code", "string", "统一社会信用代码", "Unified social credit code", required=True,
              pattern="^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"),
        field("enterprise_id", "string", "排污单位编号", "Enterprise ID", references="enterprises", required=True),
        field("outlet_id", "string", "排放口编号", "Outlet ID", required=True),
        field("time", "datetime", "时间（小时结束时刻）", "Time (end of the hour)", required=True),
        field("so2", "number", "二氧化硫折算浓度", "SO2 (corrected)", unit=mg, minimum=0, maximum=5000),
        field("nox", "number", "氮氧化物折算浓度", "NOx (corrected)", unit=mg, minimum=0, maximum=5000),
        field("dust", "number", "颗粒物折算浓度", "Particulate matter (corrected)", unit=mg,
              minimum=0, maximum=1000),
        field("o2", "number", "含氧量", "Oxygen content", unit="%", minimum=0, maximum=21),
        field("flow", "number", "标态干烟气流量", "Dry standard flue gas flow", unit="m³/h", minimum=0),
        field("flue_temp", "number", "烟气温度", "Flue gas temperature", unit="℃", minimum=-20, maximum=400),
    ]
    limits = "、".join(f"{EMISSION_ZH[p]} {fmt_limit(e.limits[p])} mg/m³" for p in ("so2", "nox", "dust"))
    limits_en = ", ".join(f"{EMISSION_EN[p]} {fmt_limit(e.limits[p])} mg/m³" for p in ("so2", "nox", "dust"))
    meta = dataset_metadata(
        id_,
        title=bi(f"{e.name}2025年12月自行监测小时数据", f"{e.name_en}: hourly self-monitoring, December 2025"),
        description=bi(
            f"""
{e.name}（统一社会信用代码 {code}）按排污许可证自行监测方案报送的1号、2号锅炉排口烟气在线监测小时数据。
许可排放浓度限值：{limits}（超低排放，基准氧含量6%）。
""",
            f"""
Hourly CEMS data of boilers 1 and 2 of {e.name_en} (credit code {code}), submitted under the
self-monitoring plan of its discharge permit. Permit limits: {limits_en} (ultra-low emission,
6% reference oxygen).
"""),
        category="pollution_source", department=e.id,
        area={"code": e.area, "name": AREA_NAME[e.area]}, update_frequency="monthly",
        temporal=(date(2025, 12, 1), date(2025, 12, 31)),
        spatial=bi(f"{e.name}厂区", f"{e.name_en} plant"), status="provisional",
        standards=["HJ 75-2017", "HJ 819-2017", "GB 13223-2011"],
        methodology=bi("CEMS 小时均值，颗粒物、SO2、NOx 按基准氧含量 6% 折算；时间为小时结束时刻。",
                       "CEMS hourly means; PM, SO2 and NOx corrected to 6% O2; time is the end of the hour."),
        keywords=["自行监测", "self-monitoring", "CEMS"],
        resources=[resource("stack-hourly", path, "排口小时数据", "Stack hourly data",
                            ["outlet_id", "time"], fields)],
        charts=[chart("nox-hourly", "timeseries", "stack-hourly", "time", ["nox"],
                      "氮氧化物小时浓度", "Hourly NOx", group="outlet_id"),
                chart("so2-daily", "timeseries", "stack-hourly", "time", ["so2"],
                      "二氧化硫日均浓度", "Daily mean SO2", group="outlet_id", aggregate="daily-mean")])
    write_yaml(folder / "dataset.yaml", meta)
    return id_


def emission_stats(rows: list[EmissionRow]) -> dict[str, Any]:
    """Exceedance days and compliance per enterprise, from the values as written."""
    per: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = per.setdefault(r.enterprise.id, {"values": 0, "exceed": 0, "days": set(),
                                                  "exceed_days": defaultdict(set), "max_ratio": {}})
        value = float(fmt(r.value, EMISSION_DECIMALS[r.parameter]))
        entry["values"] += 1
        entry["days"].add(r.day)
        ratio = value / r.enterprise.limits[r.parameter]
        entry["max_ratio"][r.parameter] = max(entry["max_ratio"].get(r.parameter, 0.0), ratio)
        if value > r.enterprise.limits[r.parameter]:
            entry["exceed"] += 1
            entry["exceed_days"][(r.outlet.id, r.parameter)].add(r.day)
    return per


# --------------------------------------------------------------------------------------------
# Radiation and noise
# --------------------------------------------------------------------------------------------

def generate_radiation() -> list[list[Any]]:
    """Daily mean and maximum ambient gamma dose rate; rain washes out radon progeny."""
    draws = Draws("radiation")
    rain = []
    for day in DAYS:
        wet = 0.28 + 0.14 * season_cos(day, 170)
        rain.append(draws.uniform(3, 40) if draws.chance(wet) else 0.0)
    rows = []
    for station in RADIATION_STATIONS:
        drift = 0.0
        for i, day in enumerate(DAYS):
            drift = 0.9 * drift + draws.normal(0, 0.5)
            base = station["baseline"] * (1 + 0.015 * season_cos(day, 20)) + drift
            bump = 0.0 if rain[i] == 0 else min(18.0, 1.5 + rain[i] * 0.35) * draws.uniform(0.6, 1.1)
            mean_rate = base + bump * 0.35 + draws.normal(0, 0.6)
            max_rate = base + 2.5 + bump + abs(draws.normal(0, 1.2))
            rows.append([station["id"], day, round(mean_rate, 1), round(max_rate, 1)])
    return rows


def write_radiation(out: Path, rows: list[list[Any]]) -> None:
    """Dataset gamma-dose-rate-2025."""
    id_ = "gamma-dose-rate-2025"
    folder = out / "datasets" / id_
    write_csv(folder / "gamma_dose_rate_2025.csv", ["station_id", "date", "dose_rate_mean", "dose_rate_max"],
              [[r[0], r[1].isoformat(), fmt(r[2], 1), fmt(r[3], 1)] for r in rows])
    fields = [
        field("station_id", "string", "站点编号", "Station ID", references="radiation_stations", required=True),
        field("date", "date", "日期", "Date", required=True),
        field("dose_rate_mean", "number", "空气吸收剂量率日均值", "Daily mean air kerma rate",
              unit="nGy/h", minimum=0, maximum=1000,
              description=bi("γ辐射空气吸收剂量率（含宇宙射线响应）",
                             "Ambient gamma air absorbed dose rate (including cosmic-ray response)")),
        field("dose_rate_max", "number", "空气吸收剂量率小时最大值", "Daily maximum of hourly values",
              unit="nGy/h", minimum=0, maximum=1000),
    ]
    meta = dataset_metadata(
        id_,
        title=bi("示范市2025年辐射环境自动监测站γ辐射空气吸收剂量率",
                 "Demo City ambient gamma dose rate at automatic stations, 2025"),
        description=bi(
            """
全市3个辐射环境自动监测站2025年γ辐射空气吸收剂量率日均值及小时最大值。
降雨期间氡子体沉降会使剂量率短时升高，属正常的天然涨落。
""",
            """
Daily mean and maximum hourly ambient gamma dose rate at the city's three automatic radiation
monitoring stations in 2025. Rain washes radon progeny to the ground and raises the rate briefly;
this is a normal natural fluctuation.
"""),
        category="radiation", department="sthjj", area=CITY_AREA, update_frequency="daily",
        temporal=(date(2025, 1, 1), date(2025, 12, 31)),
        spatial=bi("市区、青山县、湖滨市3个自动站", "Three automatic stations"), status="verified",
        standards=["HJ 1157-2021", "HJ 61-2021"],
        methodology=bi("高压电离室连续测量，5分钟数据汇总为小时均值和日均值，结果未扣除宇宙射线响应。",
                       "High-pressure ionisation chambers; 5-minute values aggregated to hourly and daily "
                       "means; the cosmic-ray response is not subtracted."),
        keywords=["辐射环境", "γ辐射", "gamma dose rate", "radiation"],
        resources=[resource("daily", "gamma_dose_rate_2025.csv", "日均值", "Daily values",
                            ["station_id", "date"], fields)],
        charts=[chart("dose-rate-daily", "timeseries", "daily", "date", ["dose_rate_mean"],
                      "各站γ辐射空气吸收剂量率日均值", "Daily mean gamma dose rate by station",
                      group="station_id")])
    write_yaml(folder / "dataset.yaml", meta)


def generate_noise() -> list[list[Any]]:
    """Quarterly 24-hour functional-zone measurements: day (Ld) and night (Ln) Leq."""
    draws = Draws("noise")
    rows = []
    for point in NOISE_POINTS:
        pid, _name, _en, _area, zone, _lat, _lon, (ld, ln) = point
        for q, day in enumerate(NOISE_DATES, start=1):
            summer = 0.6 if q == 3 else 0.0           # open windows, insects, air conditioners
            rows.append([pid, zone, f"{YEAR}Q{q}", day, round(ld + summer + draws.normal(0, 1.1), 1),
                         round(ln + summer + draws.normal(0, 1.3), 1), *NOISE_LIMITS[zone]])
    return rows


def noise_fields(unit: str) -> list[dict[str, Any]]:
    return [
        field("point_id", "string", "点位编号", "Point ID", references="noise_points", required=True),
        field("zone_class", "string", "声环境功能区类别", "Functional zone class",
              enum=list(NOISE_LIMITS), required=True),
        field("quarter", "string", "季度", "Quarter", pattern="^[0-9]{4}Q[1-4]$", required=True),
        field("monitoring_date", "date", "监测日期", "Date", required=True,
              description=bi("24小时连续监测的开始日期", "First day of the 24-hour measurement")),
        field("ld", "number", "昼间等效声级Ld", "Day-time Leq (Ld)", unit=unit,
              minimum=20, maximum=120),
        field("ln", "number", "夜间等效声级Ln", "Night-time Leq (Ln)", unit=unit,
              minimum=20, maximum=120),
        field("ld_limit", "number", "昼间标准限值", "Day-time limit", unit=unit, minimum=0),
        field("ln_limit", "number", "夜间标准限值", "Night-time limit", unit=unit, minimum=0),
    ]


def noise_csv_rows(rows: list[list[Any]]) -> list[list[str]]:
    return [[r[0], r[1], r[2], r[3].isoformat(), fmt(r[4], 1), fmt(r[5], 1), str(r[6]), str(r[7])]
            for r in rows]


NOISE_HEADER = ["point_id", "zone_class", "quarter", "monitoring_date", "ld", "ln", "ld_limit", "ln_limit"]


def write_noise(out: Path, rows: list[list[Any]]) -> None:
    """Dataset noise-functional-zones-2025 (city points) and, wrong on purpose, noise-hubin-2025."""
    id_ = "noise-functional-zones-2025"
    folder = out / "datasets" / id_
    city_rows = [r for r in rows if r[0] not in HUBIN_NOISE_POINTS]
    write_csv(folder / "noise_functional_zones_2025.csv", NOISE_HEADER, noise_csv_rows(city_rows))
    methodology = bi(
        "按 GB 3096-2008 附录C 进行24小时连续监测，昼间为06:00–22:00，夜间为22:00–次日06:00，每季度一次。",
        "24-hour continuous measurement per GB 3096-2008 annex C, once a quarter; day is 06:00–22:00, "
        "night 22:00–06:00.")
    meta = dataset_metadata(
        id_,
        title=bi("示范市2025年声环境功能区监测结果", "Demo City functional-zone noise, 2025"),
        description=bi(
            """
示范市城区及清河县、青山县声环境功能区定点监测点位2025年各季度昼间、夜间等效声级，
以及各功能区类别的标准限值（GB 3096-2008）。湖滨市点位由湖滨市另行发布。
""",
            """
Quarterly day-time and night-time equivalent sound levels at the functional-zone monitoring points of
the city districts and of Qinghe and Qingshan counties in 2025, with each zone's limits (GB 3096-2008).
The points in Hubin are published separately.
"""),
        category="noise", department="sthjj", area=CITY_AREA, update_frequency="quarterly",
        temporal=(date(2025, 1, 1), date(2025, 12, 31)),
        spatial=bi("城东区、城西区、清河县、青山县", "Chengdong, Chengxi, Qinghe, Qingshan"),
        status="verified", standards=["GB 3096-2008", "HJ 640-2012"], methodology=methodology,
        keywords=["声环境", "功能区噪声", "noise", "Leq"],
        resources=[resource("quarterly", "noise_functional_zones_2025.csv", "季度监测结果", "Quarterly results",
                            ["point_id", "quarter"], noise_fields("dB(A)"))],
        charts=[chart("ln-vs-limit", "limits", "quarterly", "quarter", ["ln", "ln_limit"],
                      "各点位夜间等效声级与限值", "Night-time Leq against limits", group="point_id"),
                chart("ld-vs-limit", "limits", "quarterly", "quarter", ["ld", "ld_limit"],
                      "各点位昼间等效声级与限值", "Day-time Leq against limits", group="point_id")])
    write_yaml(folder / "dataset.yaml", meta)

    # ON PURPOSE wrong: the unit of Ld/Ln is typed "dB(a)".
    id_ = "noise-hubin-2025"
    folder = out / "datasets" / id_
    hubin_rows = [r for r in rows if r[0] in HUBIN_NOISE_POINTS]
    write_csv(folder / "noise_hubin_2025.csv", NOISE_HEADER, noise_csv_rows(hubin_rows))
    fields = noise_fields("dB(A)")
    for f in fields:
        if f["name"] in ("ld", "ln"):
            f["unit"] = "dB(a)"
    meta = dataset_metadata(
        id_,
        title=bi("湖滨市2025年声环境功能区监测结果", "Hubin functional-zone noise, 2025"),
        description=bi("湖滨市3个声环境功能区监测点位2025年各季度昼间、夜间等效声级及标准限值。",
                       "Quarterly day and night Leq at the three functional-zone points of Hubin in 2025, "
                       "with the limits."),
        category="noise", department="sthjj", area={"code": "990181", "name": AREA_NAME["990181"]},
        update_frequency="quarterly", temporal=(date(2025, 1, 1), date(2025, 12, 31)),
        spatial=bi("湖滨市城区", "Hubin urban area"), status="verified",
        standards=["GB 3096-2008"], methodology=methodology, keywords=["声环境", "湖滨市", "noise"],
        resources=[resource("quarterly", "noise_hubin_2025.csv", "季度监测结果", "Quarterly results",
                            ["point_id", "quarter"], fields)],
        charts=[chart("ln-vs-limit", "limits", "quarterly", "quarter", ["ln", "ln_limit"],
                      "湖滨市各点位夜间等效声级与限值", "Hubin night-time Leq against limits", group="point_id")])
    write_yaml(folder / "dataset.yaml", meta)


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

def write_registry(out: Path) -> None:
    """content/registry.yaml: areas, stations, sections, enterprises, noise and radiation points."""
    registry = {
        "city": FlowDict(CITY),
        "areas": [FlowDict(a) for a in AREAS],
        "air_stations": [FlowDict(s) for s in AIR_STATIONS],
        "water_sections": [FlowDict(s) for s in WATER_SECTIONS],
        "enterprises": [],
        "noise_points": [FlowDict({"id": p[0], "name": p[1], "name_en": p[2], "area": p[3],
                                   "zone_class": p[4], "lat": p[5], "lon": p[6]}) for p in NOISE_POINTS],
        "radiation_stations": [FlowDict({k: v for k, v in s.items() if k != "baseline"})
                               for s in RADIATION_STATIONS],
    }
    for e in ENTERPRISES:
        registry["enterprises"].append({
            "id": e.id, "name": e.name, "name_en": e.name_en,
            "credit_code": credit_code(e.area, e.org_body), "area": e.area,
            "industry": e.industry,
            "outlets": [FlowDict({"id": o.id, "name": o.name,
                                  "kind": "stack" if o.medium == "gas" else "wastewater"})
                        for o in e.outlets],
            "permit_limits": FlowDict(e.limits),
        })
    header = ("# 示范市登记表 (Demo City registry). Generated by tools/generate_demo.py; do not edit.\n"
              "# permit_limits: mg/m³ for enterprises with stacks, mg/L for those with wastewater outlets.\n")
    write_yaml(out / "registry.yaml", registry, header)


# --------------------------------------------------------------------------------------------
# Bulletins
# --------------------------------------------------------------------------------------------

def front_matter(**keys: Any) -> str:
    """YAML front matter written by hand so dates keep their ISO form with an offset."""
    lines = ["---"]
    for key, value in keys.items():
        if value is None:
            continue
        if key in ("date", "release_at"):
            lines.append(f"{key}: {value}")
        elif key == "area":
            lines.append(f'area: {{code: "{value["code"]}", name: {value["name"]}}}')
        elif isinstance(value, list):
            lines.append(f"{key}: [{', '.join(value)}]")
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def write_bulletin(out: Path, id_: str, meta: dict[str, Any], body: str,
                   en: tuple[str, str, str] | None = None) -> None:
    """Write bulletins/<id>.md and, if given, <id>.en.md (title, summary, body)."""
    write_text(out / "bulletins" / f"{id_}.md", front_matter(**meta) + body.strip() + "\n")
    if en:
        title, summary, en_body = en
        write_text(out / "bulletins" / f"{id_}.en.md",
                   front_matter(title=title, summary=summary) + en_body.strip() + "\n")


def ug(value: float) -> str:
    return f"{value:.0f}"


def month_days(month: int) -> list[date]:
    return [d for d in DAYS if d.month == month]


def station_name(sid: str) -> str:
    return next(s["name"] for s in AIR_STATIONS if s["id"] == sid)


def station_name_en(sid: str) -> str:
    return next(s["name_en"] for s in AIR_STATIONS if s["id"] == sid)


def zh_date(d: date) -> str:
    return f"{d.month}月{d.day}日"


def change_zh(now: float, before: float) -> str:
    change = (round(now) - round(before)) / round(before) * 100
    if abs(change) < 0.05:
        return "持平"
    return f"{'上升' if change > 0 else '下降'}{abs(change):.1f}%"


def change_en(now: float, before: float) -> str:
    change = (round(now) - round(before)) / round(before) * 100
    if abs(change) < 0.05:
        return "unchanged"
    return f"{'up' if change > 0 else 'down'} {abs(change):.1f}%"


def write_air_bulletin(out: Path, daily: AirDaily) -> None:
    """Bulletin air-2025-10 (zh + en)."""
    oct_ = air_period_summary(daily, month_days(10))
    sep = air_period_summary(daily, month_days(9))
    n = oct_["assessed"]
    cats = oct_["by_category"]
    primary = oct_["primary"]
    primary_zh = "，".join(f"{POLLUTANT_ZH[p]}{c}天" for p, c in primary.items()) or "无"
    primary_en = ", ".join(f"{POLLUTANT_EN[p]} on {c} day{'s' if c > 1 else ''}"
                           for p, c in primary.items()) or "none"
    ranking = sorted(URBAN_STATIONS, key=lambda s: (round(oct_["stations"][s]["pm25"]), s))
    table = ["| 排名 | 站点 | 所在区县 | PM2.5月均浓度（μg/m³） | 日均浓度最大值（μg/m³） |",
             "| --- | --- | --- | --- | --- |"]
    table_en = ["| Rank | Station | Area | PM2.5 monthly mean (μg/m³) | Highest daily mean (μg/m³) |",
                "| --- | --- | --- | --- | --- |"]
    for k, s in enumerate(ranking, start=1):
        st = oct_["stations"][s]
        area = next(a["area"] for a in AIR_STATIONS if a["id"] == s)
        table.append(f"| {k} | {station_name(s)} | {AREA_NAME[area]} | {ug(st['pm25'])} | {ug(st['pm25_max'])} |")
        table_en.append(f"| {k} | {station_name_en(s)} | {AREA_NAME_EN[area]} | {ug(st['pm25'])} | {ug(st['pm25_max'])} |")
    bg = oct_["stations"]["aq-baiyunshan"]
    good_ratio = pct(oct_["good"], n)
    max_day = oct_["pm25_max_day"]
    aqi_day = oct_["aqi_max_day"]
    aqi_max, aqi_primary = daily.aqi[aqi_day]
    summary = f"10月全市环境空气质量优良天数比例为{good_ratio}，PM2.5月均浓度为{ug(oct_['pm25'])}微克/立方米。"
    body = f"""
## 一、总体情况

2025年10月，示范市环境空气质量有效监测天数{n}天，其中优{cats[0]}天、良{cats[1]}天，
优良天数比例为{good_ratio}；轻度污染{cats[2]}天，中度污染{cats[3]}天，重度及以上污染{cats[4] + cats[5]}天。
首要污染物：{primary_zh}。

全市细颗粒物（PM2.5）月均浓度为{ug(oct_['pm25'])}微克/立方米，与9月（{ug(sep['pm25'])}微克/立方米）相比{change_zh(oct_['pm25'], sep['pm25'])}；
可吸入颗粒物（PM10）月均浓度为{ug(oct_['pm10'])}微克/立方米；二氧化氮（NO2）月均浓度为{ug(oct_['no2'])}微克/立方米；
二氧化硫（SO2）月均浓度为{ug(oct_['so2'])}微克/立方米；一氧化碳（CO）日均值第95百分位数为{oct_['co_p95']:.1f}毫克/立方米；
臭氧（O3）日最大8小时平均第90百分位数为{ug(oct_['o3_p90'])}微克/立方米。

[[chart: air-hourly-2025/pm25-daily]]

## 二、逐日变化

{'10月未出现污染天气。' if oct_['good'] == n else f'10月出现污染天气{n - oct_["good"]}天。'}全市PM2.5日均浓度最高出现在{zh_date(max_day)}，为{ug(oct_['pm25_max'])}微克/立方米；
空气质量指数（AQI）最高出现在{zh_date(aqi_day)}，为{aqi_max}（{AQI_CATEGORY[aqi_category(aqi_max, aqi_day)]}），
首要污染物为{'、'.join(POLLUTANT_ZH[p] for p in aqi_primary) or '无'}。

## 三、各站点情况

5个城市点位PM2.5月均浓度由低到高排名如下（白云山清洁对照点不参与排名，月均浓度为{ug(bg['pm25'])}微克/立方米）：

{chr(10).join(table)}

[[chart: air-hourly-2025/no2-monthly]]

## 四、说明

1. 评价依据《环境空气质量标准》（GB 3095-2012）、《环境空气质量指数（AQI）技术规定（试行）》（HJ 633-2012）
   和《环境空气质量评价技术规范（试行）》（HJ 663-2013）。
2. 全市浓度为5个城市点位的算术平均，清洁对照点不参与全市平均。
3. 本月报数据为经审核的自动监测数据，详见数据集“示范市2025年环境空气质量自动监测小时数据”。
"""
    en_body = f"""
## 1. Overview

In October 2025 air quality in Demo City was assessed on {n} days: {cats[0]} excellent and {cats[1]} good
days ({good_ratio} good or better), {cats[2]} lightly and {cats[3]} moderately polluted days, and
{cats[4] + cats[5]} heavily polluted days or worse. Primary pollutants: {primary_en}.

The monthly mean PM2.5 was {ug(oct_['pm25'])} μg/m³, {change_en(oct_['pm25'], sep['pm25'])} on September
({ug(sep['pm25'])} μg/m³). PM10 averaged {ug(oct_['pm10'])} μg/m³, NO2 {ug(oct_['no2'])} μg/m³ and SO2
{ug(oct_['so2'])} μg/m³; the 95th percentile of daily CO was {oct_['co_p95']:.1f} mg/m³ and the 90th
percentile of the daily maximum 8-hour O3 {ug(oct_['o3_p90'])} μg/m³.

[[chart: air-hourly-2025/pm25-daily]]

## 2. Day by day

{'No day in October was polluted.' if oct_['good'] == n else f'{n - oct_["good"]} days in October were polluted.'}
The highest city daily mean PM2.5 was {ug(oct_['pm25_max'])} μg/m³ on {max_day:%d %B}. The highest AQI
was {aqi_max} ({AQI_CATEGORY_EN[aqi_category(aqi_max, aqi_day)]}) on {aqi_day:%d %B}.

## 3. Stations

Urban stations ranked by monthly mean PM2.5 (the Baiyunshan background station is not ranked; it
averaged {ug(bg['pm25'])} μg/m³):

{chr(10).join(table_en)}

[[chart: air-hourly-2025/no2-monthly]]

## 4. Notes

Assessment follows GB 3095-2012, HJ 633-2012 and HJ 663-2013. City values are the mean of the five urban
stations. Data are reviewed automatic monitoring data (dataset `air-hourly-2025`).
"""
    write_bulletin(out, "air-2025-10", {
        "title": "2025年10月示范市环境空气质量状况",
        "date": BULLETIN_DATES["air-2025-10"], "department": "sthjj", "category": "air_quality",
        "area": CITY_AREA, "classification": "public", "datasets": ["air-hourly-2025"],
        "charts": ["air-hourly-2025/pm25-daily", "air-hourly-2025/no2-monthly"], "summary": summary,
    }, body, ("Demo City air quality, October 2025",
              f"{good_ratio} of days in October were good or excellent; PM2.5 averaged {ug(oct_['pm25'])} μg/m³.",
              en_body))


def water_quarter_table(rows: list[dict[str, Any]], months: set[int]) -> list[dict[str, Any]]:
    """Class of each section from its mean concentrations over the given months."""
    result = []
    for section in WATER_SECTIONS:
        means = section_means(rows, section["id"], months)
        cls, above, times = water_class(means, section["kind"], date(2025, max(months), 1))
        target = WATER_CLASSES.index(section["target_class"])
        result.append({"section": section, "means": means, "class": cls, "above": above,
                       "meets": cls <= target, "times": times})
    return result


def write_water_bulletin(out: Path, rows: list[dict[str, Any]]) -> None:
    """Bulletin water-2025-q3 (zh + en)."""
    q3 = water_quarter_table(rows, {7, 8, 9})
    n = len(q3)
    good = sum(1 for r in q3 if r["class"] <= 2)
    meets = sum(1 for r in q3 if r["meets"])
    counts = [sum(1 for r in q3 if r["class"] == k) for k in range(6)]
    dist_zh = "，".join(f"{WATER_CLASSES[k]}类{c}个" for k, c in enumerate(counts) if c)
    dist_en = ", ".join(f"class {WATER_CLASSES[k].replace('劣V', 'worse than V')}: {c}"
                        for k, c in enumerate(counts) if c)
    table = ["| 断面 | 水体 | 所在区县 | 目标 | 第三季度水质 | 是否达标 | 超III类项目（超标倍数） |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    table_en = ["| Section | Water body | Area | Target | Q3 class | Meets target | Above class III (times over) |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in q3:
        s = r["section"]
        above = "、".join(f"{WATER_PARAMETERS_ZH[c]}（{r['times'][c]:.2f}）" for c in r["times"]) or "—"
        above_en = ", ".join(f"{c} ({r['times'][c]:.2f})" for c in r["times"]) or "—"
        table.append(f"| {s['name']} | {s['water_body']} | {AREA_NAME[s['area']]} | {s['target_class']} | "
                     f"{WATER_CLASSES[r['class']]} | {'是' if r['meets'] else '否'} | {above} |")
        table_en.append(f"| {s['name_en']} | {s['water_body']} | {AREA_NAME_EN[s['area']]} | {s['target_class']} | "
                        f"{WATER_CLASSES[r['class']]} | {'yes' if r['meets'] else 'no'} | {above_en} |")
    failing = [r for r in q3 if not r["meets"]]
    failing_zh = "；".join(f"{r['section']['name']}为{WATER_CLASSES[r['class']]}类，"
                          f"主要超标项目为{'、'.join(WATER_PARAMETERS_ZH[c] for c in r['times']) or '溶解氧'}"
                          for r in failing) or "无"
    failing_en = "; ".join(f"{r['section']['name_en']} was class {WATER_CLASSES[r['class']]} "
                           f"({', '.join(r['times']) or 'dissolved oxygen'})" for r in failing) or "none"
    lake = next(r for r in q3 if r["section"]["kind"] == "lake")
    lake_tp = [r2["tp"] for r2 in rows if r2["section_id"] == lake["section"]["id"]
               and r2["sample_date"].month in (7, 8, 9)]
    lake_tp_year = mean(r2["tp"] for r2 in rows if r2["section_id"] == lake["section"]["id"]
                        and r2["sample_date"].month not in (7, 8, 9))
    res = next(r for r in q3 if r["section"]["kind"] == "reservoir")
    summary = f"第三季度全市{n}个地表水监测断面中，{meets}个达到水质目标，I～III类水质断面比例为{pct(good, n)}。"
    body = f"""
## 一、总体情况

2025年第三季度，示范市{n}个地表水监测断面（河流断面5个、湖泊断面1个、水库断面1个）中，
I～III类水质断面{good}个，占{pct(good, n)}；水质类别分布为：{dist_zh}。
{meets}个断面达到水质目标，达标率为{pct(meets, n)}。未达标断面：{failing_zh}。

## 二、各断面水质

{chr(10).join(table)}

[[chart: surface-water-2025/nh3n-monthly]]

## 三、湖库

镜湖湖心断面第三季度总磷均值为{lake['means']['tp']:.3f}毫克/升，月度监测值为{'、'.join(f'{v:.3f}' for v in lake_tp)}毫克/升，
明显高于其余月份均值（{lake_tp_year:.3f}毫克/升），与夏季高温期藻类生长有关；总氮均值为{lake['means']['tn']:.2f}毫克/升（单独评价）。
青山水库坝前断面水质为{WATER_CLASSES[res['class']]}类，总磷均值{res['means']['tp']:.3f}毫克/升，总氮均值{res['means']['tn']:.2f}毫克/升（单独评价）。

[[chart: surface-water-2025/tp-monthly]]

## 四、说明

1. 评价依据《地表水环境质量标准》（GB 3838-2002）和《地表水环境质量评价办法（试行）》，
   以7–9月监测结果均值按单因子评价法确定水质类别，水温、总氮、粪大肠菌群不参与评价。
2. 超标倍数按III类标准限值计算。
"""
    en_body = f"""
## 1. Overview

In the third quarter of 2025, {good} of Demo City's {n} surface water sections (five river sections, one
lake and one reservoir) were class I–III ({pct(good, n)}); classes: {dist_en}. {meets} sections met their
target ({pct(meets, n)}). Sections missing their target: {failing_en}.

## 2. Sections

{chr(10).join(table_en)}

[[chart: surface-water-2025/nh3n-monthly]]

## 3. Lake and reservoir

Total phosphorus at Jinghu Lake centre averaged {lake['means']['tp']:.3f} mg/L in the quarter
(monthly {', '.join(f'{v:.3f}' for v in lake_tp)} mg/L), well above the mean of the other months
({lake_tp_year:.3f} mg/L), as algae grow in the summer heat; total nitrogen averaged
{lake['means']['tn']:.2f} mg/L (assessed separately). Qingshan Reservoir was class {WATER_CLASSES[res['class']]},
with TP {res['means']['tp']:.3f} mg/L and TN {res['means']['tn']:.2f} mg/L.

[[chart: surface-water-2025/tp-monthly]]

## 4. Notes

Classes follow GB 3838-2002 and the national assessment method, from the mean of the July–September
results (single factor; water temperature, TN and fecal coliform excluded). Times over are relative to
the class III limit.
"""
    write_bulletin(out, "water-2025-q3", {
        "title": "2025年第三季度示范市地表水环境质量状况",
        "date": BULLETIN_DATES["water-2025-q3"], "department": "sthjj", "category": "surface_water",
        "area": CITY_AREA, "classification": "public", "datasets": ["surface-water-2025"],
        "charts": ["surface-water-2025/nh3n-monthly", "surface-water-2025/tp-monthly"], "summary": summary,
    }, body, ("Demo City surface water quality, third quarter of 2025",
              f"{meets} of {n} sections met their water quality target in Q3 2025; {pct(good, n)} were class I–III.",
              en_body))


WATER_PARAMETERS_ZH = {p[0]: p[1] for p in WATER_PARAMETERS}


def write_emissions_bulletin(out: Path, rows: list[EmissionRow], county_ids: list[str]) -> None:
    """Bulletin emissions-2025: key dischargers' automatic monitoring in 2025."""
    stats = emission_stats(rows)
    total_values = sum(s["values"] for s in stats.values())
    total_exceed = sum(s["exceed"] for s in stats.values())
    outlets = {(r.enterprise.id, r.outlet.id): r.outlet.medium for r in rows}
    n_gas = sum(1 for medium in outlets.values() if medium == "gas")
    counties = sorted({ENTERPRISE_BY_ID[e].area for e in stats})
    table = ["| 区县 | 排污单位 | 行业 | 排放口数 | 有效日均值个数 | 超标日均值个数 |",
             "| --- | --- | --- | --- | --- | --- |"]
    for e in ENTERPRISES:
        s = stats[e.id]
        n_out = sum(1 for o in outlets if o[0] == e.id)
        table.append(f"| {AREA_NAME[e.area]} | {e.name} | {e.industry} | {n_out} | {s['values']} | {s['exceed']} |")
    exceed_lines = []
    for e in ENTERPRISES:
        for (outlet, p), days in sorted(stats[e.id]["exceed_days"].items()):
            ordered = sorted(days)
            exceed_lines.append(
                f"- {e.name}（{AREA_NAME[e.area]}）{outlet}排放口{EMISSION_ZH[p]}超标{len(ordered)}天"
                f"（{'、'.join(zh_date(d) for d in ordered)}），最大超标倍数"
                f"{stats[e.id]['max_ratio'][p] - 1:.2f}。")
    body = f"""
## 一、总体情况

2025年，全市纳入自动监测的重点排污单位{len(stats)}家，分布在{len(counties)}个县（市、区），
共{len(outlets)}个排放口（废气排放口{n_gas}个、废水排放口{len(outlets) - n_gas}个）。
全年共获得有效日均值{total_values}个，其中超过排污许可浓度限值的{total_exceed}个，日均值达标率为{pct2(total_values - total_exceed, total_values)}。

## 二、各排污单位情况

{chr(10).join(table)}

[[chart: emissions-qingshan-2025/stack-nox-vs-limit]]

## 三、超标情况及处理

{chr(10).join(exceed_lines)}

对上述超标排放问题，属地生态环境分局已责令企业查明原因、限期整改，并依法处理。

## 四、说明

1. 数据来源于各县（市、区）生态环境分局报送的重点排污单位自动监测日均值，见数据集{'、'.join(f'`{c}`' for c in county_ids)}。
2. 废气浓度为按基准氧含量折算的日均浓度，废水浓度为流量加权日均浓度；停产、检修日不计入统计。
3. 达标判定以排污许可证载明的浓度限值为准。
"""
    write_bulletin(out, "emissions-2025", {
        "title": "2025年示范市重点排污单位自动监测数据情况",
        "date": BULLETIN_DATES["emissions-2025"], "department": "sthjj", "category": "pollution_source",
        "area": CITY_AREA, "classification": "public", "datasets": county_ids,
        "charts": ["emissions-qingshan-2025/stack-nox-vs-limit"],
        "summary": f"2025年全市{len(stats)}家重点排污单位自动监测日均值达标率为{pct2(total_values - total_exceed, total_values)}。",
    }, body)


def radiation_stats(rows: list[list[Any]]) -> dict[str, dict[str, float]]:
    result = {}
    for station in RADIATION_STATIONS:
        values = [r[2] for r in rows if r[0] == station["id"]]
        maxima = [r[3] for r in rows if r[0] == station["id"]]
        result[station["id"]] = {"mean": sum(values) / len(values), "min": min(values),
                                 "max": max(values), "hour_max": max(maxima), "days": len(values)}
    return result


def write_radiation_bulletin(out: Path, rows: list[list[Any]]) -> None:
    """Bulletin radiation-2025."""
    stats = radiation_stats(rows)
    low = min(s["min"] for s in stats.values())
    high = max(s["max"] for s in stats.values())
    table = ["| 自动站 | 所在区县 | 有效天数 | 日均值范围（nGy/h） | 年均值（nGy/h） | 小时最大值（nGy/h） |",
             "| --- | --- | --- | --- | --- | --- |"]
    for station in RADIATION_STATIONS:
        s = stats[station["id"]]
        table.append(f"| {station['name']} | {AREA_NAME[station['area']]} | {s['days']} | "
                     f"{s['min']:.1f}～{s['max']:.1f} | {s['mean']:.1f} | {s['hour_max']:.1f} |")
    body = f"""
## 一、总体情况

2025年，示范市辐射环境质量总体良好。全市{len(stats)}个辐射环境自动监测站γ辐射空气吸收剂量率日均值范围为
{low:.1f}～{high:.1f}纳戈瑞/小时，处于当地天然本底涨落范围内。

## 二、自动站监测结果

{chr(10).join(table)}

[[chart: gamma-dose-rate-2025/dose-rate-daily]]

降雨期间，大气中氡子体随雨水沉降，γ辐射空气吸收剂量率出现短时升高，降雨结束后恢复，属正常天然涨落。

## 三、说明

1. 监测依据《辐射环境监测技术规范》（HJ 61-2021）和《环境γ辐射剂量率测量技术规范》（HJ 1157-2021）。
2. 测量结果未扣除宇宙射线响应值。
"""
    write_bulletin(out, "radiation-2025", {
        "title": "2025年示范市辐射环境质量状况",
        "date": BULLETIN_DATES["radiation-2025"], "department": "sthjj", "category": "radiation",
        "area": CITY_AREA, "classification": "public", "datasets": ["gamma-dose-rate-2025"],
        "charts": ["gamma-dose-rate-2025/dose-rate-daily"],
        "summary": f"2025年全市γ辐射空气吸收剂量率日均值为{low:.1f}～{high:.1f}纳戈瑞/小时，处于天然本底涨落范围内。",
    }, body)


def noise_stats(rows: list[list[Any]]) -> dict[str, Any]:
    day_ok = sum(1 for r in rows if r[4] <= r[6])
    night_ok = sum(1 for r in rows if r[5] <= r[7])
    by_zone = {}
    for zone in NOISE_LIMITS:
        zr = [r for r in rows if r[1] == zone]
        if zr:
            by_zone[zone] = {"n": len(zr), "ld": sum(r[4] for r in zr) / len(zr),
                             "ln": sum(r[5] for r in zr) / len(zr),
                             "day_ok": sum(1 for r in zr if r[4] <= r[6]),
                             "night_ok": sum(1 for r in zr if r[5] <= r[7])}
    return {"n": len(rows), "points": len({r[0] for r in rows}), "day_ok": day_ok,
            "night_ok": night_ok, "by_zone": by_zone}


def write_noise_bulletin(out: Path, rows: list[list[Any]]) -> None:
    """Bulletin noise-2025 (the city dataset; Hubin publishes its own)."""
    city_rows = [r for r in rows if r[0] not in HUBIN_NOISE_POINTS]
    s = noise_stats(city_rows)
    table = ["| 功能区类别 | 监测点次 | 昼间平均等效声级 | 昼间达标率 | 夜间平均等效声级 | 夜间达标率 |",
             "| --- | --- | --- | --- | --- | --- |"]
    for zone, z in s["by_zone"].items():
        day_limit, night_limit = NOISE_LIMITS[zone]
        table.append(f"| {NOISE_ZONE_ZH[zone]} | {z['n']} | {z['ld']:.1f} dB(A)（限值{day_limit}） | "
                     f"{pct(z['day_ok'], z['n'])} | {z['ln']:.1f} dB(A)（限值{night_limit}） | {pct(z['night_ok'], z['n'])} |")
    worst = min(s["by_zone"].items(), key=lambda kv: kv[1]["night_ok"] / kv[1]["n"])
    body = f"""
## 一、总体情况

2025年，示范市（城东区、城西区、清河县、青山县）共布设声环境功能区监测点位{s['points']}个，
每季度监测1次，全年共{s['n']}点次。功能区昼间达标率为{pct(s['day_ok'], s['n'])}，
夜间达标率为{pct(s['night_ok'], s['n'])}。

## 二、各类功能区

{chr(10).join(table)}

[[chart: noise-functional-zones-2025/ln-vs-limit]]

夜间达标率最低的为{NOISE_ZONE_ZH[worst[0]]}，主要受交通干线夜间重型车辆通行影响。

## 三、说明

1. 监测与评价依据《声环境质量标准》（GB 3096-2008）和《环境噪声监测技术规范 城市声环境常规监测》（HJ 640-2012）。
2. 湖滨市声环境功能区监测结果由湖滨市另行发布。
"""
    write_bulletin(out, "noise-2025", {
        "title": "2025年示范市声环境质量状况",
        "date": BULLETIN_DATES["noise-2025"], "release_at": BULLETIN_DATES["noise-2025"],
        "department": "sthjj", "category": "noise", "area": CITY_AREA, "classification": "public", "datasets": ["noise-functional-zones-2025"],
        "charts": ["noise-functional-zones-2025/ln-vs-limit"],
        "summary": f"2025年全市声环境功能区昼间达标率为{pct(s['day_ok'], s['n'])}，夜间达标率为{pct(s['night_ok'], s['n'])}。",
    }, body)


def write_sampling_notice(out: Path) -> None:
    """ON PURPOSE wrong: a notice that prints a staff member's mobile number."""
    body = """
## 关于开展2025年12月地表水手工监测采样工作的通告

根据年度监测计划，示范市生态环境监测站将于2025年12月9日至12月11日对全市7个地表水监测断面开展手工采样，
涉及清河、白沙河、青山河、镜湖和青山水库。采样期间监测人员将在断面附近临时停靠采样车辆、使用采样船，
请沿岸群众和过往船只予以配合，注意安全。

采样结果经审核后纳入月度地表水环境质量数据发布。

联系人：王工，联系电话：13812345678。

特此通告。
"""
    write_bulletin(out, "notice-sampling-2025-12", {
        "title": "关于开展2025年12月地表水手工监测采样工作的通告",
        "date": BULLETIN_DATES["notice-sampling-2025-12"], "department": "sthjj",
        "category": "surface_water", "area": CITY_AREA, "classification": "public",
        "summary": "2025年12月9日至11日对全市7个地表水监测断面开展手工采样。",
    }, body)


def write_annual_summary(out: Path, daily: AirDaily, water_rows: list[dict[str, Any]],
                         emission_rows: list[EmissionRow], radiation_rows: list[list[Any]],
                         noise_rows: list[list[Any]], county_ids: list[str]) -> dict[str, Any]:
    """Bulletin eco-status-2025-summary (zh + en); returns the air statistics of the year."""
    year = air_period_summary(daily, DAYS)
    n = year["assessed"]
    cats = year["by_category"]
    heavy = cats[4] + cats[5]
    meets_std = {p: (year[p] if p in year else None) for p in ("pm25", "pm10", "no2", "so2")}
    over = [POLLUTANT_ZH[p] for p in ("pm25", "pm10", "no2", "so2") if round(meets_std[p]) > GRADE2_ANNUAL[p]]
    if round(year["o3_p90"]) > GRADE2_ANNUAL["o3"]:
        over.append(POLLUTANT_ZH["o3"])
    if round(year["co_p95"], 1) > GRADE2_ANNUAL["co"]:
        over.append(POLLUTANT_ZH["co"])
    over_en = [POLLUTANT_EN[k] for k, v in POLLUTANT_ZH.items() if v in over]
    annual = water_quarter_table(water_rows, set(range(1, 13)))
    wn = len(annual)
    w_good = sum(1 for r in annual if r["class"] <= 2)
    w_meets = sum(1 for r in annual if r["meets"])
    w_fail = [r for r in annual if not r["meets"]]
    e_stats = emission_stats(emission_rows)
    e_total = sum(s["values"] for s in e_stats.values())
    e_exceed = sum(s["exceed"] for s in e_stats.values())
    e_ents = sum(1 for s in e_stats.values() if s["exceed"])
    rad = radiation_stats(radiation_rows)
    r_low = min(s["min"] for s in rad.values())
    r_high = max(s["max"] for s in rad.values())
    noise = noise_stats([r for r in noise_rows if r[0] not in HUBIN_NOISE_POINTS])
    good_ratio = pct(year["good"], n)
    body = f"""
## 一、环境空气

2025年，示范市环境空气质量有效监测天数{n}天，优良天数{year['good']}天，优良天数比例为{good_ratio}；
重度及以上污染天数{heavy}天。细颗粒物（PM2.5）年均浓度为{ug(year['pm25'])}微克/立方米，
可吸入颗粒物（PM10）年均浓度为{ug(year['pm10'])}微克/立方米，二氧化氮年均浓度为{ug(year['no2'])}微克/立方米，
二氧化硫年均浓度为{ug(year['so2'])}微克/立方米，一氧化碳日均值第95百分位数为{year['co_p95']:.1f}毫克/立方米，
臭氧日最大8小时平均第90百分位数为{ug(year['o3_p90'])}微克/立方米。
对照《环境空气质量标准》（GB 3095-2012）二级标准，{('、'.join(over) + '超标') if over else '六项污染物均达标'}。
冬季受不利气象条件影响出现多次区域性重污染过程，全年PM2.5日均浓度最高为{ug(year['pm25_max'])}微克/立方米（{zh_date(year['pm25_max_day'])}）。

[[chart: air-hourly-2025/pm25-daily]]

## 二、地表水环境

全市{wn}个地表水监测断面中，年均水质达到I～III类的断面{w_good}个，占{pct(w_good, wn)}；
达到水质目标的断面{w_meets}个，达标率为{pct(w_meets, wn)}。
{('未达标断面为' + '、'.join(r['section']['name'] + '（' + WATER_CLASSES[r['class']] + '类）' for r in w_fail) + '。') if w_fail else ''}

[[chart: surface-water-2025/nh3n-monthly]]

## 三、声环境

全市声环境功能区监测{noise['n']}点次，昼间达标率为{pct(noise['day_ok'], noise['n'])}，夜间达标率为{pct(noise['night_ok'], noise['n'])}。

## 四、辐射环境

全市辐射环境自动监测站γ辐射空气吸收剂量率日均值范围为{r_low:.1f}～{r_high:.1f}纳戈瑞/小时，处于当地天然本底涨落范围内，辐射环境质量总体良好。

## 五、污染源监管

全市{len(e_stats)}家重点排污单位全年获得自动监测有效日均值{e_total}个，超过许可浓度限值的{e_exceed}个，
涉及{e_ents}家单位，日均值达标率为{pct2(e_total - e_exceed, e_total)}。

## 说明

本公报为摘要，数据来源于示范市生态环境局、各县（市、区）生态环境分局发布的监测数据集。
"""
    en_body = f"""
## 1. Ambient air

In 2025 air quality was assessed on {n} days in Demo City; {year['good']} days were good or excellent
({good_ratio}) and {heavy} days heavily polluted or worse. Annual means: PM2.5 {ug(year['pm25'])} μg/m³,
PM10 {ug(year['pm10'])} μg/m³, NO2 {ug(year['no2'])} μg/m³, SO2 {ug(year['so2'])} μg/m³; the 95th percentile of
daily CO was {year['co_p95']:.1f} mg/m³ and the 90th percentile of the daily maximum 8-hour O3
{ug(year['o3_p90'])} μg/m³. Against the grade II limits of GB 3095-2012,
{(', '.join(over_en) + ' exceeded them') if over_en else 'all six pollutants complied'}. Several regional haze
episodes occurred in winter; the highest city daily mean PM2.5 was {ug(year['pm25_max'])} μg/m³
({year['pm25_max_day']:%d %B}).

[[chart: air-hourly-2025/pm25-daily]]

## 2. Surface water

{w_good} of the {wn} surface water sections were class I–III on the annual mean ({pct(w_good, wn)});
{w_meets} met their target ({pct(w_meets, wn)}).

[[chart: surface-water-2025/nh3n-monthly]]

## 3. Noise

{noise['n']} functional-zone measurements: {pct(noise['day_ok'], noise['n'])} complied by day and
{pct(noise['night_ok'], noise['n'])} by night.

## 4. Radiation

Daily mean ambient gamma dose rates ranged from {r_low:.1f} to {r_high:.1f} nGy/h, within the local natural
background.

## 5. Pollution sources

The {len(e_stats)} key dischargers reported {e_total} valid daily means, {e_exceed} of them above the permit
limit (at {e_ents} enterprises): {pct2(e_total - e_exceed, e_total)} complied.
"""
    write_bulletin(out, "eco-status-2025-summary", {
        "title": "2025年示范市生态环境状况公报（摘要）",
        "date": BULLETIN_DATES["eco-status-2025-summary"], "department": "sthjj",
        "category": "air_quality", "area": CITY_AREA, "classification": "public",
        "datasets": ["air-hourly-2025", "surface-water-2025", "noise-functional-zones-2025",
                     "gamma-dose-rate-2025"] + county_ids,
        "charts": ["air-hourly-2025/pm25-daily", "surface-water-2025/nh3n-monthly"],
        "summary": f"2025年全市优良天数比例为{good_ratio}，PM2.5年均浓度为{ug(year['pm25'])}微克/立方米，"
                   f"地表水断面水质目标达标率为{pct(w_meets, wn)}。",
    }, body, ("Demo City state of the environment 2025 (summary)",
              f"{good_ratio} of days in 2025 were good or excellent; PM2.5 averaged {ug(year['pm25'])} μg/m³.",
              en_body))
    return year


# --------------------------------------------------------------------------------------------
# README and main
# --------------------------------------------------------------------------------------------

def write_readme(out: Path, air: AirData) -> None:
    """content/README.md: what the demo is, how to regenerate it, what is wrong on purpose."""
    sid, col, first, hours, value = AIR_FLATLINE
    spike_sid, spike_col, spike_time, spike_value = AIR_SPIKE
    h = hour_index(spike_time)
    around = [v for v in air.values[spike_sid][spike_col][h - 3:h] + air.values[spike_sid][spike_col][h + 1:h + 4]
              if v is not None]
    around_text = f"{min(around):.1f}～{max(around):.1f}"
    m_sid, m_first, m_last = AIR_MAINTENANCE
    text = f"""# 示范市演示内容 / Demo City content

本目录是**虚构的**示范市（代码 990100）生态环境监测信息，供 publisher 演示和测试使用。
城市、区县、站点、断面、企业及其统一社会信用代码均为虚构（代码 99 开头的行政区划不存在），数据由程序随机生成，
不代表任何真实地点的环境状况。

This folder holds the environmental monitoring content of **Demo City (示范市, 990100), a fictional city**,
for demonstrating and testing publisher. Areas, stations, sections, enterprises and their credit codes are
invented (area codes starting with 99 do not exist); all data are generated and describe no real place.

## 重新生成 / Regenerate

```
.venv/bin/python tools/generate_demo.py --out content
```

生成结果是确定的：同一版本的脚本每次生成逐字节相同的文件。请勿手工修改本目录，改脚本后重新生成。
公报中的每个数字都由脚本根据生成的数据计算得出。

Output is deterministic (byte-identical on every run). Do not edit these files by hand; change the script
and regenerate. Every number in the bulletins is computed by the script from the generated data.

## 故意的错误 / Wrong on purpose

以下条目故意包含一个错误，用于演示发布规则；每个错误单独放在一个条目中，其他条目保持干净。
Each of these items contains one deliberate error so the release rules have something to catch; the other
items are meant to be clean.

| 条目 item | 错误 error | 应触发 should trigger |
| --- | --- | --- |
| `datasets/emissions-qingshan-2025q4-late` | 青山县分局报送的数据中有一行属于清河县企业（{LATE_Q4_STRAY[0]}，area_code 990121，{LATE_Q4_STRAY[2].isoformat()}）/ the Qingshan bureau's file holds one row of a Qinghe enterprise | 跨辖区报送 / publishing outside the department's area |
| `datasets/noise-hubin-2025` | `ld`、`ln` 的单位写成 `dB(a)`（应为 `dB(A)`）/ unit typo `dB(a)` | 单位不在允许列表 / unit not allowed |
| `bulletins/notice-sampling-2025-12` | 正文含手机号码 13812345678 / the text prints a mobile phone number | 个人信息 / personal data |
| `datasets/air-station-maintenance-log-2025` | `classification: internal`，不得公开 / internal, never public | 不发布 / never released |

## 审批历史 / The approval history

`tools/demo_history.py` 用演示密钥重放一段审批历史（`make portal` 自动运行）：多数条目已发布；
`bulletins/noise-2025` 定于 2026-12-15 10:00 发布（禁发期示例）；`bulletins/emissions-2025` 待新闻办批准；
`datasets/self-monitoring-hongda-power-2025-12` 被退回；`datasets/surface-water-2025` 发布后更正为第 2 版。
The demo keys are derived from public seeds: **demo only, never use them for real releases.**

`tools/demo_history.py` replays an approval history signed with demo keys (`make portal` runs it): most items
are published; `bulletins/noise-2025` is scheduled for 2026-12-15 10:00 (the embargo example);
`bulletins/emissions-2025` awaits the press office; `datasets/self-monitoring-hongda-power-2025-12` was
rejected; `datasets/surface-water-2025` was corrected after publication and is at version 2.

## 派生数据 / Derived datasets

`air-daily-aqi-2025`、`air-realtime-aqi-2025`、`air-quality-summary-2025`、`surface-water-class-2025` 和
`emission-exceedances-2025` 只有定义（`derived:`），没有数据文件：生成网站时由发布系统根据已发布的输入数据计算
（见 docs/derived.md）。因为水质数据已更正为第 2 版，水质类别按第 2 版计算。
These five hold only a definition (`derived:`) and no data files: the build computes them from the published
inputs (see docs/derived.md); the water classes are computed from version 2 of the corrected water data.

## 数据中的质量问题 / Quality problems planted in the data

这些是真实监测数据中常见的问题，保留在数据中供质量规则发现（不是错误，而是需要审核的现象）：
Realistic problems left in otherwise clean data, for the quality rules to find:

- 恒值：{sid} 的 {col} 自 {iso_hour(first)} 起连续 {hours} 小时恒为 {value:.1f} μg/m³（仪器输出冻结）。
  Flat line: {sid} {col} stuck at {value:.1f} μg/m³ for {hours} hours from {iso_hour(first)}.
- 突变值：{spike_sid} 的 {spike_col} 在 {iso_hour(spike_time)} 为 {spike_value:.1f} μg/m³，前后3小时为 {around_text} μg/m³。
  Spike: {spike_sid} {spike_col} = {spike_value:.1f} μg/m³ at {iso_hour(spike_time)} ({around_text} μg/m³ in the 3 hours either side).
- 缺测：{m_sid} {iso_hour(m_first)}～{iso_hour(m_last)} 年度维护；另有数次数小时停电/通讯中断及约1–2%的随机缺测。
  Gaps: maintenance at {m_sid} from {iso_hour(m_first)} to {iso_hour(m_last)}, a few multi-hour outages and
  about 1–2% random missing values.
- 超标：{', '.join(f'{e} {o} {p}' for e, o, p in EXCEEDANCES)} 有数日日均值超过许可限值。
  Exceedances: a few days above the permit limit at the outlets listed.
- 临界值聚集：{SUSPICIOUS[0]} {SUSPICIOUS[1]} {SUSPICIOUS[2]} 多数日均值为许可限值的 95%～99.9%（疑似数据造假的特征）。
  Values clustered at 95–99.9% of the limit at {SUSPICIOUS[0]} {SUSPICIOUS[1]} {SUSPICIOUS[2]} (a falsification hint).
- 冬季重污染过程、春节烟花、3月沙尘过程。Winter haze episodes, Spring Festival fireworks, a March dust event.
"""
    write_text(out / "README.md", text)


# --------------------------------------------------------------------------------------------
# Derived datasets: definitions only; the build computes their files (publisher/derived.py)
# --------------------------------------------------------------------------------------------

def write_derived(out: Path, county_ids: list[str]) -> None:
    """Definitions of the datasets the portal derives from the published monitoring data."""
    specs = [
        ("air-daily-aqi-2025", "daily-aqi", ["air-hourly-2025"], "air_quality", "daily",
         bi("示范市2025年环境空气质量日报（空气质量指数）", "Demo City daily air quality index (AQI), 2025"),
         bi("各站点和全市每日空气质量指数（AQI）、各项污染物分指数、级别和首要污染物，按 HJ 633-2012 "
            "由已发布的小时浓度数据自动计算；全市值为城市点位日均值的算术平均（HJ 663-2013），清洁对照点不参与。",
            "Daily AQI, sub-indices, level and primary pollutant per station and for the city, computed "
            "by HJ 633-2012 from the published hourly data; the city value averages the urban stations' "
            "daily values (HJ 663-2013), leaving out the background station.")),
        ("air-realtime-aqi-2025", "realtime-aqi", ["air-hourly-2025"], "air_quality", "hourly",
         bi("示范市2025年各站点实时空气质量指数（小时）", "Demo City real-time hourly AQI by station, 2025"),
         bi("各站点逐小时实时空气质量指数，按 HJ 633-2012 实时报规定（5.1.3）由已发布的小时浓度数据计算："
            "SO₂、NO₂、CO、O₃ 用 1 小时平均，O₃ 另计 8 小时滑动平均，PM₁₀ 和 PM₂.₅ 用 24 小时滑动平均。",
            "Hourly real-time AQI per station by the HJ 633-2012 real-time report (5.1.3), from the "
            "published hourly data: 1-hour means of SO2, NO2, CO and O3, the O3 8-hour moving mean and "
            "24-hour moving means of PM10 and PM2.5.")),
        ("air-quality-summary-2025", "air-summary", ["air-hourly-2025"], "air_quality", "monthly",
         bi("示范市2025年环境空气质量月度和年度统计与区县排名", "Demo City monthly and yearly air quality statistics and county rankings, 2025"),
         bi("各站点、各区县和全市的逐月与全年统计：有效天数、优良天数比例、各项污染物平均浓度、"
            "臭氧日最大8小时平均第90百分位数、同比变化，以及区县按 PM₂.₅ 浓度和优良天数比例的排名。",
            "Monthly and yearly statistics per station, county and the city: valid days, share of good "
            "days, mean concentrations, the O3 daily maximum 8-hour 90th percentile, change on last year, "
            "and county rankings by PM2.5 and by share of good days.")),
        ("surface-water-class-2025", "water-class", ["surface-water-2025"], "surface_water", "monthly",
         bi("示范市2025年地表水断面水质类别", "Demo City surface water quality class by section and sample, 2025"),
         bi("各断面每次采样的水质类别，按 GB 3838-2002 单因子评价法（《地表水环境质量评价办法（试行）》）"
            "由已发布的监测数据计算，给出定类项目和超过III类标准限值的倍数，并与断面水质目标比较。",
            "The class of each section's every sample by the GB 3838-2002 single-factor method, from the "
            "published data, with the parameters that set it, the multiples over the class III limit, and "
            "whether the section's target is met.")),
        ("emission-exceedances-2025", "emission-exceedance", county_ids, "pollution_source", "monthly",
         bi("示范市2025年重点排污单位超标统计", "Demo City key dischargers: days over the permit limit, 2025"),
         bi("各区县已发布的重点排污单位自动监测日均值中超过排污许可限值的记录及超标倍数，"
            "以及各企业、各排放口、各污染物逐月和全年的超标天数。",
            "Daily values over the discharge-permit limit, with their multiples, from the key dischargers' "
            "published data of every county, and the days over the limit per enterprise, outlet, pollutant, "
            "month and year.")),
    ]
    for id_, method, inputs, category, frequency, title, description in specs:
        folder = out / "datasets" / id_
        folder.mkdir(parents=True, exist_ok=True)
        meta = dataset_metadata(
            id_, title=title, description=description, category=category, department="sthjj",
            area=CITY_AREA, update_frequency=frequency, temporal=(date(2025, 1, 1), date(2025, 12, 31)),
            spatial=bi("示范市全市", "Whole city"), status="verified", resources=[],
            keywords=["派生数据", "derived data"])
        del meta["resources"]
        meta["derived"] = {"method": method, "inputs": inputs}
        write_yaml(folder / "dataset.yaml", meta, "# 派生数据集定义：数据文件由发布系统根据已发布的输入数据计算。\n"
                   "# Derived dataset: the build computes its files from the published inputs.\n")


def generate(out: Path) -> None:
    """Generate the whole demo content into ``out`` (replacing what the script owns there)."""
    for sub in ("datasets", "bulletins"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    out.mkdir(parents=True, exist_ok=True)
    write_registry(out)

    air = generate_air()
    write_air(out, air)
    write_air_maintenance_log(out)
    air_daily = daily_air(air)

    water_rows = generate_water()
    write_water(out, water_rows)

    hourly = generate_self_monitoring()
    all_emissions = generate_emissions(hourly)
    late = [r for r in all_emissions if r.day.month >= 10
            and (r.enterprise.id, r.outlet.id) == LATE_Q4]
    county_rows = [r for r in all_emissions if (r.enterprise.id, r.outlet.id) != LATE_Q4]
    county_ids = [write_emissions_county(out, area, county_rows) for area in COUNTY_BUREAUS]
    write_emissions_late(out, late + [r for r in county_rows if (r.enterprise.id, r.outlet.id, r.day)
                                      == LATE_Q4_STRAY])
    write_self_monitoring(out, hourly)
    write_derived(out, county_ids)

    radiation_rows = generate_radiation()
    write_radiation(out, radiation_rows)
    noise_rows = generate_noise()
    write_noise(out, noise_rows)

    write_air_bulletin(out, air_daily)
    write_water_bulletin(out, water_rows)
    write_emissions_bulletin(out, county_rows, county_ids)
    write_radiation_bulletin(out, radiation_rows)
    write_noise_bulletin(out, noise_rows)
    write_sampling_notice(out)
    write_annual_summary(out, air_daily, water_rows, county_rows, radiation_rows, noise_rows, county_ids)
    write_readme(out, air)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the Demo City (示范市) content.")
    parser.add_argument("--out", default="content", type=Path, help="output folder (default: content)")
    args = parser.parse_args(argv)
    generate(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
