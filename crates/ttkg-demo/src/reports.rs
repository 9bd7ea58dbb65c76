//! The report files, each in the layout its sender uses.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use crate::names::{asean_members, chinese_members, Org};
use crate::rng::Rng;
use crate::DemoError;

/// Yearly average rates: units of a currency per US dollar.
pub struct Rates(BTreeMap<(String, u16), f64>);

impl Rates {
    pub fn load(path: &Path) -> Result<Self, DemoError> {
        let text = std::fs::read_to_string(path).map_err(|e| DemoError::Io(path.to_owned(), e))?;
        let mut rates = BTreeMap::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .skip(1)
        {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let [year, currency, per_usd] = fields[..] else {
                return Err(DemoError::Rates(format!("bad line `{line}`")));
            };
            let year = year
                .parse()
                .map_err(|_| DemoError::Rates(format!("bad year in `{line}`")))?;
            let per_usd = per_usd
                .parse()
                .map_err(|_| DemoError::Rates(format!("bad rate in `{line}`")))?;
            rates.insert((currency.to_owned(), year), per_usd);
        }
        Ok(Rates(rates))
    }

    /// Units of `currency` per yuan in `year`.
    fn per_cny(&self, currency: &str, year: u16) -> Result<f64, DemoError> {
        let get = |c: &str| {
            self.0
                .get(&(c.to_owned(), year))
                .copied()
                .ok_or_else(|| DemoError::Rates(format!("no rate for {c} in {year}")))
        };
        Ok(get(currency)? / get("CNY")?)
    }
}

/// 13 technologies: field (zh, vi, th), then name (zh, vi, th).
const TECHNOLOGIES: &[[&str; 6]] = &[
    [
        "现代农业",
        "Nông nghiệp hiện đại",
        "เกษตรสมัยใหม่",
        "水稻超高产栽培技术",
        "Kỹ thuật canh tác lúa siêu năng suất",
        "เทคโนโลยีการปลูกข้าวผลผลิตสูงพิเศษ",
    ],
    [
        "农作物品种",
        "Giống cây trồng",
        "พันธุ์พืช",
        "桂糖系列甘蔗良种",
        "Giống mía Quế Đường",
        "พันธุ์อ้อยกุ้ยถัง",
    ],
    [
        "农作物品种",
        "Giống cây trồng",
        "พันธุ์พืช",
        "杂交水稻优良品种",
        "Giống lúa lai năng suất cao",
        "พันธุ์ข้าวลูกผสม",
    ],
    [
        "农业机械",
        "Máy nông nghiệp",
        "เครื่องจักรกลการเกษตร",
        "甘蔗收获机",
        "Máy thu hoạch mía",
        "เครื่องเก็บเกี่ยวอ้อย",
    ],
    [
        "新能源与可再生能源",
        "Năng lượng mới và tái tạo",
        "พลังงานใหม่และพลังงานหมุนเวียน",
        "户用沼气技术",
        "Công nghệ khí sinh học hộ gia đình",
        "เทคโนโลยีก๊าซชีวภาพครัวเรือน",
    ],
    [
        "生物质能源",
        "Năng lượng sinh học",
        "พลังงานชีวภาพ",
        "甘蔗糖蜜酒精清洁生产技术",
        "Công nghệ sản xuất cồn từ rỉ đường",
        "เทคโนโลยีผลิตเอทานอลจากกากน้ำตาล",
    ],
    [
        "节能环保",
        "Tiết kiệm năng lượng và bảo vệ môi trường",
        "การอนุรักษ์พลังงานและสิ่งแวดล้อม",
        "矿山废水处理技术",
        "Công nghệ xử lý nước thải mỏ",
        "เทคโนโลยีบำบัดน้ำเสียจากเหมือง",
    ],
    [
        "海洋生态",
        "Sinh thái biển",
        "นิเวศวิทยาทางทะเล",
        "红树林生态修复技术",
        "Công nghệ phục hồi rừng ngập mặn",
        "เทคโนโลยีฟื้นฟูป่าชายเลน",
    ],
    [
        "民族医药",
        "Y học cổ truyền",
        "การแพทย์แผนไทย",
        "桑葚保健食品制剂工艺",
        "Quy trình bào chế thực phẩm chức năng từ dâu tằm",
        "กระบวนการผลิตผลิตภัณฑ์เสริมอาหารจากหม่อน",
    ],
    [
        "生物医药",
        "Y sinh học",
        "ชีวเวชศาสตร์",
        "肝癌早期诊断试剂",
        "Bộ kit chẩn đoán sớm ung thư gan",
        "ชุดตรวจวินิจฉัยมะเร็งตับระยะเริ่มต้น",
    ],
    [
        "铝合金",
        "Hợp kim nhôm",
        "โลหะผสมอะลูมิเนียม",
        "铝合金熔体高效洁净化技术",
        "Công nghệ làm sạch hợp kim nhôm nóng chảy",
        "เทคโนโลยีทำให้โลหะผสมอะลูมิเนียมหลอมบริสุทธิ์",
    ],
    [
        "信息技术",
        "Công nghệ thông tin",
        "เทคโนโลยีสารสนเทศ",
        "农业物联网监测系统",
        "Hệ thống giám sát nông nghiệp IoT",
        "ระบบตรวจวัดการเกษตรด้วย IoT",
    ],
    [
        "畜牧兽医",
        "Chăn nuôi thú y",
        "ปศุสัตว์",
        "水牛人工授精技术",
        "Kỹ thuật thụ tinh nhân tạo trâu",
        "เทคโนโลยีผสมเทียมกระบือ",
    ],
];

/// Agreement types (zh, vi, th), as the ontology labels them.
const AGREEMENT_TYPES: &[[&str; 3]] = &[
    ["技术转让", "Chuyển giao công nghệ", "การถ่ายทอดเทคโนโลยี"],
    ["技术许可", "Cấp phép công nghệ", "การอนุญาตใช้สิทธิเทคโนโลยี"],
    [
        "合作研发",
        "Hợp tác nghiên cứu phát triển",
        "การวิจัยและพัฒนาร่วม",
    ],
    ["技术服务", "Dịch vụ kỹ thuật", "บริการทางเทคนิค"],
    ["合作框架", "Khung hợp tác", "กรอบความร่วมมือ"],
    ["投资合作", "Hợp tác đầu tư", "ความร่วมมือด้านการลงทุน"],
];

struct Event {
    name: &'static str,
    kind: &'static str,
    code: &'static str,
    country: &'static str,
    city: &'static str,
    date: (u16, u8, u8),
    days: u8,
    technologies: u32,
    organisations: u32,
}

/// 22 events, 16 in ASEAN countries; the 2016 Hanoi meeting is the article's.
const EVENTS: &[Event] = &[
    Event {
        name: "2014中国—东盟技术转移与创新合作大会",
        kind: "合作大会",
        code: "CN",
        country: "中国",
        city: "南宁",
        date: (2014, 9, 16),
        days: 2,
        technologies: 120,
        organisations: 260,
    },
    Event {
        name: "2014中国—东盟新能源与可再生能源技术展",
        kind: "技术展",
        code: "CN",
        country: "中国",
        city: "南宁",
        date: (2014, 9, 17),
        days: 4,
        technologies: 65,
        organisations: 90,
    },
    Event {
        name: "2015中国—东盟农业技术对接会",
        kind: "技术对接会",
        code: "CN",
        country: "中国",
        city: "桂林",
        date: (2015, 5, 20),
        days: 1,
        technologies: 48,
        organisations: 85,
    },
    Event {
        name: "2015中国—东盟技术转移与创新合作大会",
        kind: "合作大会",
        code: "CN",
        country: "中国",
        city: "南宁",
        date: (2015, 9, 18),
        days: 2,
        technologies: 110,
        organisations: 280,
    },
    Event {
        name: "2016中国—东盟技术转移与创新合作大会",
        kind: "合作大会",
        code: "CN",
        country: "中国",
        city: "南宁",
        date: (2016, 9, 11),
        days: 2,
        technologies: 105,
        organisations: 300,
    },
    Event {
        name: "2016中国—东盟海洋科技合作对接会",
        kind: "技术对接会",
        code: "CN",
        country: "中国",
        city: "北海",
        date: (2016, 11, 8),
        days: 1,
        technologies: 32,
        organisations: 60,
    },
    Event {
        name: "2014中国—越南技术对接会",
        kind: "技术对接会",
        code: "VN",
        country: "越南",
        city: "河内",
        date: (2014, 6, 12),
        days: 1,
        technologies: 36,
        organisations: 80,
    },
    Event {
        name: "2015中国—越南技术对接会",
        kind: "技术对接会",
        code: "VN",
        country: "越南",
        city: "胡志明市",
        date: (2015, 6, 25),
        days: 1,
        technologies: 38,
        organisations: 85,
    },
    Event {
        name: "2016中国—越南技术及投资对接会",
        kind: "技术对接会",
        code: "VN",
        country: "越南",
        city: "河内",
        date: (2016, 6, 16),
        days: 1,
        technologies: 45,
        organisations: 101,
    },
    Event {
        name: "2014中国—柬埔寨技术转移对接会",
        kind: "技术对接会",
        code: "KH",
        country: "柬埔寨",
        city: "金边",
        date: (2014, 12, 3),
        days: 1,
        technologies: 25,
        organisations: 50,
    },
    Event {
        name: "2015中国—柬埔寨技术转移对接会",
        kind: "技术对接会",
        code: "KH",
        country: "柬埔寨",
        city: "金边",
        date: (2015, 11, 26),
        days: 1,
        technologies: 24,
        organisations: 48,
    },
    Event {
        name: "2016中国—柬埔寨技术转移对接会",
        kind: "技术对接会",
        code: "KH",
        country: "柬埔寨",
        city: "金边",
        date: (2016, 12, 7),
        days: 1,
        technologies: 26,
        organisations: 55,
    },
    Event {
        name: "2014中国—老挝技术转移对接会",
        kind: "技术对接会",
        code: "LA",
        country: "老挝",
        city: "万象",
        date: (2014, 11, 18),
        days: 1,
        technologies: 22,
        organisations: 45,
    },
    Event {
        name: "2015中国—老挝技术转移对接会",
        kind: "技术对接会",
        code: "LA",
        country: "老挝",
        city: "万象",
        date: (2015, 10, 20),
        days: 1,
        technologies: 24,
        organisations: 47,
    },
    Event {
        name: "2016中国—老挝技术转移对接会",
        kind: "技术对接会",
        code: "LA",
        country: "老挝",
        city: "万象",
        date: (2016, 10, 25),
        days: 1,
        technologies: 25,
        organisations: 52,
    },
    Event {
        name: "2015中国—缅甸技术转移对接会",
        kind: "技术对接会",
        code: "MM",
        country: "缅甸",
        city: "仰光",
        date: (2015, 8, 13),
        days: 1,
        technologies: 20,
        organisations: 40,
    },
    Event {
        name: "2016中国—缅甸技术转移对接会",
        kind: "技术对接会",
        code: "MM",
        country: "缅甸",
        city: "内比都",
        date: (2016, 8, 24),
        days: 1,
        technologies: 22,
        organisations: 44,
    },
    Event {
        name: "2015中国—泰国技术转移对接会",
        kind: "技术对接会",
        code: "TH",
        country: "泰国",
        city: "曼谷",
        date: (2015, 7, 9),
        days: 1,
        technologies: 30,
        organisations: 60,
    },
    Event {
        name: "2016中国—泰国技术转移对接会",
        kind: "技术对接会",
        code: "TH",
        country: "泰国",
        city: "曼谷",
        date: (2016, 7, 14),
        days: 1,
        technologies: 32,
        organisations: 66,
    },
    Event {
        name: "2015中国—印尼技术转移对接会",
        kind: "技术对接会",
        code: "ID",
        country: "印度尼西亚",
        city: "雅加达",
        date: (2015, 11, 10),
        days: 1,
        technologies: 28,
        organisations: 52,
    },
    Event {
        name: "2016中国—印尼技术转移对接会",
        kind: "技术对接会",
        code: "ID",
        country: "印度尼西亚",
        city: "雅加达",
        date: (2016, 11, 15),
        days: 1,
        technologies: 30,
        organisations: 58,
    },
    Event {
        name: "2016中国—马来西亚技术转移对接会",
        kind: "技术对接会",
        code: "MY",
        country: "马来西亚",
        city: "吉隆坡",
        date: (2016, 5, 19),
        days: 1,
        technologies: 26,
        organisations: 50,
    },
];

/// The article's total: 393 agreements worth close to 6 亿元.
const AGREEMENT_TOTAL_CNY: f64 = 590_000_000.0;

pub(crate) fn workbook(title: &str) -> Result<Workbook, DemoError> {
    let mut workbook = Workbook::new();
    // A fixed creation time keeps the files byte-identical between runs.
    let properties = DocProperties::new()
        .set_title(title)
        .set_author("ttkg-demo")
        .set_creation_datetime(&ExcelDateTime::from_ymd(2017, 1, 10)?);
    workbook.set_properties(&properties);
    Ok(workbook)
}

fn save(mut workbook: Workbook, path: &Path, written: &mut Vec<PathBuf>) -> Result<(), DemoError> {
    workbook.save(path)?;
    written.push(path.to_owned());
    Ok(())
}

fn write_text(path: &Path, text: &str, written: &mut Vec<PathBuf>) -> Result<(), DemoError> {
    std::fs::write(path, text).map_err(|e| DemoError::Io(path.to_owned(), e))?;
    written.push(path.to_owned());
    Ok(())
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn title_rows(
    sheet: &mut Worksheet,
    title: &str,
    note: &str,
    columns: u16,
) -> Result<(), DemoError> {
    let bold = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    sheet.merge_range(0, 0, 0, columns - 1, title, &bold)?;
    sheet.merge_range(1, 0, 1, columns - 1, note, &Format::new())?;
    Ok(())
}

fn header_row(sheet: &mut Worksheet, row: u32, headers: &[&str]) -> Result<(), DemoError> {
    let bold = Format::new()
        .set_bold()
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, *h, &bold)?;
        sheet.set_column_width(c as u16, 16)?;
    }
    Ok(())
}

fn date_format() -> Format {
    Format::new().set_num_format("yyyy-mm-dd")
}

/// One agreement before it is written in its sender's layout.
struct Agreement {
    technology: usize,
    kind: usize,
    chinese: String,
    partner: String,
    country: &'static str,
    cny: f64,
    date: (u16, u8, u8),
    event: Option<&'static str>,
}

/// Writes the whole demo set into `out/reports`.
pub fn write_demo(out: &Path, rates: &Rates) -> Result<Vec<PathBuf>, DemoError> {
    let dir = out.join("reports");
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::Io(dir.clone(), e))?;
    let mut rng = Rng::new(20_160_616);
    let chinese = chinese_members(&mut rng);
    let asean = asean_members(&mut rng);
    let mut written = Vec::new();
    members(&dir, &chinese, &asean, &mut rng, &mut written)?;
    let agreements = agreements(&chinese, &asean, &mut rng);
    let total = guangxi_agreements(&dir, &agreements[..310], &mut written)?
        + vietnam_agreements(&dir, &agreements[310..360], "VN-CN", rates, &mut written)?
        + thailand_agreements(&dir, &agreements[360..], rates, &mut written)?;
    if !(580_000_000.0..=600_000_000.0).contains(&total) || agreements.len() != 393 {
        return Err(DemoError::Figures(format!(
            "{} agreements worth {total:.0} yuan",
            agreements.len()
        )));
    }
    events(&dir, &mut written)?;
    demonstration_bases(&dir, &mut written)?;
    training_courses(&dir, &mut written)?;
    platforms(&dir, &mut written)?;
    Ok(written)
}

fn members(
    dir: &Path,
    chinese: &[Org],
    asean: &[Org],
    rng: &mut Rng,
    written: &mut Vec<PathBuf>,
) -> Result<(), DemoError> {
    let mut all: Vec<&Org> = chinese.iter().chain(asean).collect();
    for i in (1..all.len()).rev() {
        all.swap(i, rng.below(i + 1));
    }
    let mut book = workbook("中国—东盟技术转移协作网络成员名单")?;
    let sheet = book.add_worksheet();
    sheet.set_name("协作网络成员")?;
    let headers = [
        "序号",
        "成员单位名称",
        "单位类型",
        "所在国家",
        "所在省份",
        "加入时间",
    ];
    title_rows(
        sheet,
        "中国—东盟技术转移协作网络成员名单（截至2016年12月）",
        "填报单位：中国—东盟技术转移中心",
        headers.len() as u16,
    )?;
    header_row(sheet, 2, &headers)?;
    // Network growth: founded September 2013, 1,763 members by the end of 2016.
    let per_year = [(2013u16, 300usize), (2014, 500), (2015, 500), (2016, 463)];
    let mut index = 0;
    for (year, count) in per_year {
        for _ in 0..count {
            let org = all[index];
            let row = 3 + index as u32;
            let month = if year == 2013 {
                9 + rng.below(4)
            } else {
                1 + rng.below(12)
            };
            sheet.write_number(row, 0, (index + 1) as f64)?;
            sheet.write_string(row, 1, &org.name)?;
            sheet.write_string(row, 2, org.kind)?;
            sheet.write_string(row, 3, org.country_zh)?;
            if let Some(p) = org.province {
                sheet.write_string(row, 4, p)?;
            }
            let joined = if rng.below(5) == 0 {
                format!("{year}-{month:02}")
            } else {
                format!("{year}年{month}月")
            };
            sheet.write_string(row, 5, &joined)?;
            index += 1;
        }
    }
    save(book, &dir.join("network-members.xlsx"), written)
}

/// 393 agreements: 310 in Guangxi's workbook, 50 in the Vietnamese CSV, 33 in the Thai workbook.
fn agreements(chinese: &[Org], asean: &[Org], rng: &mut Rng) -> Vec<Agreement> {
    let parties: Vec<&Org> = chinese
        .iter()
        .filter(|o| matches!(o.kind, "高校" | "科研院所" | "企业"))
        .take(180)
        .collect();
    let in_country =
        |code: &str| -> Vec<&Org> { asean.iter().filter(|o| o.code == code).collect() };
    let guangxi_countries: [(&str, usize); 10] = [
        ("VN", 80),
        ("TH", 40),
        ("LA", 45),
        ("KH", 40),
        ("MM", 35),
        ("ID", 35),
        ("MY", 25),
        ("PH", 5),
        ("SG", 3),
        ("BN", 2),
    ];
    let zh_of = |code: &str| {
        asean
            .iter()
            .find(|o| o.code == code)
            .map_or("", |o| o.country_zh)
    };
    let mut plan: Vec<(&'static str, u16)> = Vec::new();
    let mut years = [2014u16; 90].to_vec();
    years.extend([2015u16; 100]);
    years.extend([2016u16; 120]);
    let mut countries: Vec<&'static str> = guangxi_countries
        .iter()
        .flat_map(|(c, n)| std::iter::repeat_n(*c, *n))
        .collect();
    for i in (1..countries.len()).rev() {
        countries.swap(i, rng.below(i + 1));
    }
    for (c, y) in countries.into_iter().zip(years) {
        plan.push((c, y));
    }
    plan.extend(std::iter::repeat_n(("VN", 2016u16), 50));
    plan.extend((0..33).map(|i| ("TH", if i < 15 { 2015u16 } else { 2016 })));

    let weights: Vec<f64> = plan
        .iter()
        .map(|_| 1.0 / (1.0 - 0.97 * rng.unit()))
        .collect();
    let scale = AGREEMENT_TOTAL_CNY / weights.iter().sum::<f64>();
    plan.into_iter()
        .zip(weights)
        .map(|((code, year), weight)| {
            let events: Vec<&Event> = EVENTS
                .iter()
                .filter(|e| e.date.0 == year && (e.code == code || e.code == "CN"))
                .collect();
            let event = (!events.is_empty() && rng.below(10) < 6).then(|| *rng.pick(&events));
            let date = event.map_or_else(
                || (year, 1 + rng.below(12) as u8, 1 + rng.below(28) as u8),
                |e| e.date,
            );
            let partners = in_country(code);
            Agreement {
                technology: rng.below(TECHNOLOGIES.len()),
                kind: rng.below(AGREEMENT_TYPES.len()),
                chinese: rng.pick(&parties).name.clone(),
                partner: rng.pick(&partners).name.clone(),
                country: zh_of(code),
                cny: weight * scale,
                date,
                event: event.map(|e| e.name),
            }
        })
        .collect()
}

/// The columns of the Guangxi provincial agreements workbook (the demo's and
/// the benchmark's synthetic ones).
const GUANGXI_HEADERS: [&str; 11] = [
    "序号",
    "协议编号",
    "技术名称",
    "中方单位",
    "外方单位",
    "合作国家",
    "技术领域",
    "协议类型",
    "协议金额（万元）",
    "签约日期",
    "签约活动",
];

fn guangxi_agreements(
    dir: &Path,
    rows: &[Agreement],
    written: &mut Vec<PathBuf>,
) -> Result<f64, DemoError> {
    let mut book = workbook("2014—2016年中国—东盟技术转移合作协议汇总表")?;
    let sheet = book.add_worksheet();
    sheet.set_name("协议汇总")?;
    let headers = GUANGXI_HEADERS;
    title_rows(
        sheet,
        "2014—2016年广西中国—东盟技术转移合作协议汇总表",
        "填报单位：广西壮族自治区科学技术厅　　　金额单位：万元",
        headers.len() as u16,
    )?;
    header_row(sheet, 2, &headers)?;
    let money = Format::new().set_num_format("#,##0.00");
    let mut total_wan = 0.0;
    let mut counters: BTreeMap<u16, usize> = BTreeMap::new();
    for (i, a) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        let n = counters.entry(a.date.0).or_default();
        *n += 1;
        let wan = (a.cny / 100.0).round() / 100.0;
        total_wan += wan;
        let t = TECHNOLOGIES[a.technology];
        sheet.write_number(row, 0, (i + 1) as f64)?;
        sheet.write_string(row, 1, format!("GX-{}-{:03}", a.date.0, n))?;
        sheet.write_string(row, 2, t[3])?;
        sheet.write_string(row, 3, &a.chinese)?;
        sheet.write_string(row, 4, &a.partner)?;
        sheet.write_string(row, 5, a.country)?;
        sheet.write_string(row, 6, t[0])?;
        sheet.write_string(row, 7, AGREEMENT_TYPES[a.kind][0])?;
        sheet.write_number_with_format(row, 8, wan, &money)?;
        sheet.write_datetime_with_format(
            row,
            9,
            ExcelDateTime::from_ymd(a.date.0, a.date.1, a.date.2)?,
            &date_format(),
        )?;
        if let Some(e) = a.event {
            sheet.write_string(row, 10, e)?;
        }
    }
    let last = 3 + rows.len() as u32;
    sheet.write_string(last, 0, "合计")?;
    sheet.write_number_with_format(last, 8, (total_wan * 100.0).round() / 100.0, &money)?;
    save(
        book,
        &dir.join("guangxi-agreements-2014-2016.xlsx"),
        written,
    )?;
    Ok(total_wan * 10_000.0)
}

/// Vietnamese thousands points: 1.234.000.000.
fn vietnamese_number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn vietnam_agreements(
    dir: &Path,
    rows: &[Agreement],
    prefix: &str,
    rates: &Rates,
    written: &mut Vec<PathBuf>,
) -> Result<f64, DemoError> {
    let mut text = String::from("\u{FEFF}");
    text.push_str("STT,Số hợp đồng,Tên công nghệ,Đơn vị phía Trung Quốc,Đơn vị phía Việt Nam,Lĩnh vực,Loại hợp đồng,Giá trị hợp đồng (VND),Ngày ký,Sự kiện ký kết\r\n");
    let mut total = 0.0;
    for (i, a) in rows.iter().enumerate() {
        let per_cny = rates.per_cny("VND", a.date.0)?;
        let vnd = ((a.cny * per_cny) / 1_000_000.0).round() as u64 * 1_000_000;
        total += vnd as f64 / per_cny;
        let t = TECHNOLOGIES[a.technology];
        let fields = [
            (i + 1).to_string(),
            format!("{prefix}/{}/{:02}", a.date.0, i + 1),
            t[4].to_owned(),
            a.chinese.clone(),
            a.partner.clone(),
            t[1].to_owned(),
            AGREEMENT_TYPES[a.kind][1].to_owned(),
            vietnamese_number(vnd),
            format!("{:02}/{:02}/{}", a.date.2, a.date.1, a.date.0),
            a.event.unwrap_or("").to_owned(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        let _ = write!(text, "{}\r\n", line.join(","));
    }
    write_text(&dir.join("vietnam-agreements-2016.csv"), &text, written)?;
    Ok(total)
}

fn thailand_agreements(
    dir: &Path,
    rows: &[Agreement],
    rates: &Rates,
    written: &mut Vec<PathBuf>,
) -> Result<f64, DemoError> {
    let mut book = workbook("ข้อตกลงความร่วมมือด้านการถ่ายทอดเทคโนโลยีไทย–จีน")?;
    let sheet = book.add_worksheet();
    sheet.set_name("ข้อตกลง")?;
    let headers = [
        "ลำดับ",
        "เลขที่ข้อตกลง",
        "ชื่อเทคโนโลยี",
        "หน่วยงานฝ่ายจีน",
        "หน่วยงานฝ่ายไทย",
        "สาขาเทคโนโลยี",
        "ประเภทข้อตกลง",
        "มูลค่า (บาท)",
        "วันที่ลงนาม",
        "งานที่ลงนาม",
    ];
    sheet.merge_range(
        0,
        0,
        0,
        headers.len() as u16 - 1,
        "รายงานข้อตกลงความร่วมมือด้านการถ่ายทอดเทคโนโลยีไทย–จีน พ.ศ. 2558–2559",
        &Format::new().set_bold(),
    )?;
    header_row(sheet, 1, &headers)?;
    let money = Format::new().set_num_format("#,##0");
    let mut total = 0.0;
    for (i, a) in rows.iter().enumerate() {
        let row = 2 + i as u32;
        let per_cny = rates.per_cny("THB", a.date.0)?;
        let thb = ((a.cny * per_cny) / 100.0).round() * 100.0;
        total += thb / per_cny;
        let t = TECHNOLOGIES[a.technology];
        sheet.write_number(row, 0, (i + 1) as f64)?;
        sheet.write_string(row, 1, format!("TH-CN-{}-{:02}", a.date.0, i + 1))?;
        sheet.write_string(row, 2, t[5])?;
        sheet.write_string(row, 3, &a.chinese)?;
        sheet.write_string(row, 4, &a.partner)?;
        sheet.write_string(row, 5, t[2])?;
        sheet.write_string(row, 6, AGREEMENT_TYPES[a.kind][2])?;
        sheet.write_number_with_format(row, 7, thb, &money)?;
        sheet.write_datetime_with_format(
            row,
            8,
            ExcelDateTime::from_ymd(a.date.0, a.date.1, a.date.2)?,
            &date_format(),
        )?;
        if let Some(e) = a.event {
            sheet.write_string(row, 9, e)?;
        }
    }
    save(
        book,
        &dir.join("thailand-agreements-2015-2016.xlsx"),
        written,
    )?;
    Ok(total)
}

fn events(dir: &Path, written: &mut Vec<PathBuf>) -> Result<(), DemoError> {
    let mut text = String::from("\u{FEFF}活动名称,活动类型,举办国家,举办城市,开始日期,结束日期,展示技术数（项）,参会机构数（家）,主办单位\r\n");
    for e in EVENTS {
        let (y, m, d) = e.date;
        let end = d + e.days - 1;
        let _ = write!(
            text,
            "{},{},{},{},{y}年{m}月{d}日,{y}年{m}月{end}日,{},{},中国—东盟技术转移中心\r\n",
            e.name, e.kind, e.country, e.city, e.technologies, e.organisations
        );
    }
    write_text(&dir.join("transfer-events-2014-2016.csv"), &text, written)
}

/// Name, country, place, builder, partner, area in 亩, content, field, completion date.
type BaseRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    &'static str,
    &'static str,
    (u16, u8, u8),
);

fn demonstration_bases(dir: &Path, written: &mut Vec<PathBuf>) -> Result<(), DemoError> {
    let bases: [BaseRow; 7] = [
        (
            "中越农业科技示范基地（谅山）",
            "越南",
            "谅山省",
            "广西农业科学院",
            "Sở Khoa học và Công nghệ Lạng Sơn",
            200.0,
            "水稻、玉米优良品种示范",
            "农作物品种",
            (2014, 4, 10),
        ),
        (
            "中越优良品种示范基地（北江）",
            "越南",
            "北江省",
            "广西大学",
            "Viện Cây lương thực và Cây thực phẩm",
            150.0,
            "杂交水稻示范推广",
            "农作物品种",
            (2015, 3, 18),
        ),
        (
            "中老农业科技示范园（万象）",
            "老挝",
            "万象",
            "广西农业科学院",
            "Lao Agriculture and Forestry Research Institute",
            300.0,
            "蔬菜、水稻示范种植",
            "现代农业",
            (2014, 11, 20),
        ),
        (
            "中老甘蔗良种示范基地（琅南塔）",
            "老挝",
            "琅南塔省",
            "广西甘蔗研究所",
            "National University of Laos",
            180.0,
            "桂糖系列甘蔗良种示范",
            "农作物品种",
            (2015, 10, 22),
        ),
        (
            "中柬农业科技示范基地（磅湛）",
            "柬埔寨",
            "磅湛省",
            "广西农业科学院",
            "Cambodian Agricultural Research and Development Institute",
            170.0,
            "木薯、水稻示范种植",
            "现代农业",
            (2015, 11, 27),
        ),
        (
            "中柬水稻良种示范基地（马德望）",
            "柬埔寨",
            "马德望省",
            "广西大学",
            "Royal University of Agriculture",
            120.0,
            "水稻良种示范",
            "农作物品种",
            (2016, 12, 8),
        ),
        (
            "中印尼农业科技示范基地（西爪哇）",
            "印尼",
            "西爪哇省",
            "广西亚热带作物研究所",
            "Bogor Agricultural University",
            180.0,
            "热带水果、甘蔗示范种植",
            "现代农业",
            (2016, 11, 16),
        ),
    ];
    let mut book = workbook("广西在东盟国家建设的农业科技示范基地")?;
    let sheet = book.add_worksheet();
    sheet.set_name("示范基地")?;
    let headers = [
        "序号",
        "基地名称",
        "所在国家",
        "所在地",
        "建设单位",
        "合作单位",
        "示范面积（亩）",
        "示范内容",
        "技术领域",
        "建成时间",
    ];
    title_rows(
        sheet,
        "广西在东盟国家建设的农业科技示范基地一览表",
        "面积单位：亩",
        headers.len() as u16,
    )?;
    header_row(sheet, 2, &headers)?;
    for (i, b) in bases.iter().enumerate() {
        let row = 3 + i as u32;
        sheet.write_number(row, 0, (i + 1) as f64)?;
        for (c, v) in [b.0, b.1, b.2, b.3, b.4].iter().enumerate() {
            sheet.write_string(row, 1 + c as u16, *v)?;
        }
        sheet.write_number(row, 6, b.5)?;
        sheet.write_string(row, 7, b.6)?;
        sheet.write_string(row, 8, b.7)?;
        sheet.write_datetime_with_format(
            row,
            9,
            ExcelDateTime::from_ymd(b.8 .0, b.8 .1, b.8 .2)?,
            &date_format(),
        )?;
    }
    sheet.write_string(3 + bases.len() as u32, 0, "合计")?;
    sheet.write_number(
        3 + bases.len() as u32,
        6,
        bases.iter().map(|b| b.5).sum::<f64>(),
    )?;
    save(book, &dir.join("demonstration-bases.xlsx"), written)
}

fn training_courses(dir: &Path, written: &mut Vec<PathBuf>) -> Result<(), DemoError> {
    let courses: [(&str, &str, &str, &str, &str, u32, &str); 10] = [
        (
            "热带亚热带农业技术国际培训班",
            "2013年11月",
            "南宁",
            "广西农业科学院",
            "越南、老挝、柬埔寨",
            18,
            "现代农业",
        ),
        (
            "农业标准化技术国际培训班",
            "2014年6月",
            "南宁",
            "广西壮族自治区科学技术厅",
            "越南、柬埔寨、缅甸",
            16,
            "现代农业",
        ),
        (
            "跨境动物疫病防控技术国际培训班",
            "2014年10月",
            "南宁",
            "广西水牛研究所",
            "越南、老挝、缅甸",
            15,
            "畜牧兽医",
        ),
        (
            "矿业节能环保先进技术国际培训班",
            "2015年5月",
            "南宁",
            "广西科学院",
            "老挝、柬埔寨、缅甸",
            14,
            "节能环保",
        ),
        (
            "面向东盟的农业技术国际培训班",
            "2015年12月",
            "南宁",
            "广西大学",
            "越南、老挝",
            20,
            "现代农业",
        ),
        (
            "甘蔗种植与加工技术国际培训班",
            "2015年9月",
            "南宁",
            "广西甘蔗研究所",
            "老挝、柬埔寨、泰国",
            16,
            "农作物品种",
        ),
        (
            "水牛繁育技术国际培训班",
            "2016年4月",
            "南宁",
            "广西水牛研究所",
            "越南、泰国、缅甸",
            15,
            "畜牧兽医",
        ),
        (
            "传统医药国际培训班",
            "2016年6月",
            "南宁",
            "广西中医药大学",
            "泰国、老挝、越南",
            17,
            "民族医药",
        ),
        (
            "新能源与可再生能源技术国际培训班",
            "2016年8月",
            "南宁",
            "广西科学院",
            "柬埔寨、缅甸、老挝",
            16,
            "新能源与可再生能源",
        ),
        (
            "海洋生态保护技术国际培训班",
            "2016年10月",
            "北海",
            "广西科学院",
            "越南、泰国、柬埔寨",
            16,
            "海洋生态",
        ),
    ];
    let mut text = String::from("\u{FEFF}序号,培训班名称,举办时间,举办地点,承办单位,学员来源国,学员人数（人次）,技术领域\r\n");
    for (i, c) in courses.iter().enumerate() {
        let _ = write!(
            text,
            "{},{},{},{},{},{},{},{}\r\n",
            i + 1,
            c.0,
            c.1,
            c.2,
            c.3,
            c.4,
            c.5,
            c.6
        );
    }
    write_text(&dir.join("training-courses-2013-2016.csv"), &text, written)
}

fn platforms(dir: &Path, written: &mut Vec<PathBuf>) -> Result<(), DemoError> {
    let mut book = workbook("广西国际科技合作平台")?;
    let labs = book.add_worksheet();
    labs.set_name("联合实验室与研究中心")?;
    let headers = [
        "序号",
        "平台名称",
        "平台类型",
        "中方单位",
        "外方合作单位",
        "合作国家",
        "技术领域",
        "建立时间",
    ];
    header_row(labs, 0, &headers)?;
    let rows: [[&str; 7]; 6] = [
        ["中—泰传统药物研究联合实验室", "联合实验室", "广西中医药大学", "Khon Kaen University", "泰国", "民族医药", "2015"],
        ["生物靶向诊治国际联合研究中心", "联合研究中心", "广西医科大学", "University of Arizona Cancer Center、The University of Texas MD Anderson Cancer Center、University of Kentucky College of Medicine", "美国", "生物医药", "2014"],
        ["甘蔗糖蜜酒精清洁生产关键技术合作研究", "合作研发项目", "广西科学院", "University of São Paulo", "巴西", "生物质能源", "2014"],
        ["纤维素乙醇清洁生产关键技术合作研究", "合作研发项目", "广西科学院", "University of Chemistry and Technology, Prague", "捷克", "生物质能源", "2015"],
        ["中意水牛联合研究中心", "联合研究中心", "广西水牛研究所", "Council for Agricultural Research and Economics (CREA)", "意大利", "畜牧兽医", "2016"],
        ["铝合金熔体高效洁净化技术合作开发", "合作研发项目", "广西南南铝加工有限公司", "", "", "铝合金", "2015"],
    ];
    for (i, r) in rows.iter().enumerate() {
        let row = 1 + i as u32;
        labs.write_number(row, 0, (i + 1) as f64)?;
        for (c, v) in r.iter().enumerate() {
            if !v.is_empty() {
                labs.write_string(row, 1 + c as u16, *v)?;
            }
        }
    }
    let centres = book.add_worksheet();
    centres.set_name("双边技术转移中心")?;
    let headers = [
        "序号",
        "中心名称",
        "合作国家",
        "中方承建单位",
        "外方合作单位",
        "揭牌时间",
    ];
    header_row(centres, 0, &headers)?;
    let rows: [[&str; 5]; 5] = [
        [
            "中国—柬埔寨技术转移中心",
            "柬埔寨",
            "中国—东盟技术转移中心",
            "Ministry of Industry and Handicraft, Cambodia",
            "2014年12月",
        ],
        [
            "中国—缅甸技术转移中心",
            "缅甸",
            "中国—东盟技术转移中心",
            "Ministry of Science and Technology, Myanmar",
            "2015年8月",
        ],
        [
            "中国—老挝技术转移中心",
            "老挝",
            "中国—东盟技术转移中心",
            "Ministry of Science and Technology, Lao PDR",
            "2014年11月",
        ],
        [
            "中国—泰国技术转移中心",
            "泰国",
            "中国—东盟技术转移中心",
            "สำนักงานพัฒนาวิทยาศาสตร์และเทคโนโลยีแห่งชาติ",
            "2015年7月",
        ],
        [
            "中国—印度尼西亚技术转移中心",
            "印度尼西亚",
            "中国—东盟技术转移中心",
            "Indonesian Institute of Sciences",
            "2015年11月",
        ],
    ];
    for (i, r) in rows.iter().enumerate() {
        let row = 1 + i as u32;
        centres.write_number(row, 0, (i + 1) as f64)?;
        for (c, v) in r.iter().enumerate() {
            centres.write_string(row, 1 + c as u16, *v)?;
        }
    }
    save(book, &dir.join("cooperation-platforms.xlsx"), written)
}

/// About `rows` synthetic agreements for benchmarks: half in Guangxi-style
/// workbooks, half in Vietnamese-style CSV files, 100,000 rows per file.
pub fn write_synthetic(
    out: &Path,
    rates: &Rates,
    rows: usize,
    per_file: usize,
) -> Result<Vec<PathBuf>, DemoError> {
    // Zero rows per file would never finish.
    let per_file = per_file.max(1);
    let dir = out.join("reports");
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::Io(dir.clone(), e))?;
    let mut rng = Rng::new(rows as u64);
    let chinese = chinese_members(&mut rng);
    let asean = asean_members(&mut rng);
    let vietnamese: Vec<&Org> = asean.iter().filter(|o| o.code == "VN").collect();
    let mut written = Vec::new();
    let files = rows.div_ceil(per_file);
    for f in 0..files {
        let n = per_file.min(rows - f * per_file);
        let batch: Vec<Agreement> = (0..n)
            .map(|_| {
                let partner = if f % 2 == 0 {
                    *rng.pick(&asean.iter().collect::<Vec<_>>())
                } else {
                    *rng.pick(&vietnamese)
                };
                Agreement {
                    technology: rng.below(TECHNOLOGIES.len()),
                    kind: rng.below(AGREEMENT_TYPES.len()),
                    chinese: rng.pick(&chinese).name.clone(),
                    partner: partner.name.clone(),
                    country: partner.country_zh,
                    cny: 10_000.0 + rng.unit() * 5_000_000.0,
                    date: (
                        2014 + rng.below(3) as u16,
                        1 + rng.below(12) as u8,
                        1 + rng.below(28) as u8,
                    ),
                    event: None,
                }
            })
            .collect();
        if f % 2 == 0 {
            let path = synthetic_workbook(&dir, f, &batch)?;
            written.push(path);
        } else {
            let mut file_written = Vec::new();
            vietnam_agreements(
                &dir,
                &batch,
                &format!("VN-SYN{f:03}"),
                rates,
                &mut file_written,
            )?;
            let from = dir.join("vietnam-agreements-2016.csv");
            let to = dir.join(format!("vietnam-agreements-synthetic-{f:03}.csv"));
            std::fs::rename(&from, &to).map_err(|e| DemoError::Io(to.clone(), e))?;
            written.push(to);
        }
    }
    Ok(written)
}

fn synthetic_workbook(dir: &Path, index: usize, rows: &[Agreement]) -> Result<PathBuf, DemoError> {
    let mut book = workbook("synthetic agreements")?;
    let sheet = book.add_worksheet();
    sheet.set_name("协议汇总")?;
    let headers = GUANGXI_HEADERS;
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    let date = date_format();
    for (i, a) in rows.iter().enumerate() {
        let row = 1 + i as u32;
        let t = TECHNOLOGIES[a.technology];
        sheet.write_number(row, 0, (i + 1) as f64)?;
        sheet.write_string(row, 1, format!("SYN-{index:03}-{i:06}"))?;
        sheet.write_string(row, 2, t[3])?;
        sheet.write_string(row, 3, &a.chinese)?;
        sheet.write_string(row, 4, &a.partner)?;
        sheet.write_string(row, 5, a.country)?;
        sheet.write_string(row, 6, t[0])?;
        sheet.write_string(row, 7, AGREEMENT_TYPES[a.kind][0])?;
        sheet.write_number(row, 8, (a.cny / 100.0).round() / 100.0)?;
        sheet.write_datetime_with_format(
            row,
            9,
            ExcelDateTime::from_ymd(a.date.0, a.date.1, a.date.2)?,
            &date,
        )?;
    }
    let path = dir.join(format!("guangxi-agreements-synthetic-{index:03}.xlsx"));
    book.save(&path)?;
    Ok(path)
}
