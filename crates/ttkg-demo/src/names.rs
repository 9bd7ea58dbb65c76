//! The organisations of the demo network: names as Guangxi's lists write
//! them (Chinese for Chinese members, the partner's own language for
//! Vietnamese and Thai members, English for the others).

use std::collections::BTreeSet;

use crate::rng::Rng;

#[derive(Debug, Clone)]
pub struct Org {
    pub name: String,
    /// 单位类型 as written in the member list.
    pub kind: &'static str,
    /// ISO code, and the country as the Chinese list writes it.
    pub code: &'static str,
    pub country_zh: &'static str,
    pub province: Option<&'static str>,
}

/// Guangxi's cities, then the capitals of other member provinces, with how
/// the list writes the province (sometimes short, sometimes in full).
pub const CITIES: &[(&str, &str)] = &[
    ("南宁", "广西"),
    ("柳州", "广西壮族自治区"),
    ("桂林", "广西"),
    ("梧州", "广西"),
    ("北海", "广西壮族自治区"),
    ("防城港", "广西"),
    ("钦州", "广西"),
    ("贵港", "广西"),
    ("玉林", "广西壮族自治区"),
    ("百色", "广西"),
    ("贺州", "广西"),
    ("河池", "广西"),
    ("来宾", "广西"),
    ("崇左", "广西壮族自治区"),
    ("昆明", "云南省"),
    ("广州", "广东"),
    ("深圳", "广东省"),
    ("北京", "北京市"),
    ("上海", "上海"),
    ("南京", "江苏省"),
    ("杭州", "浙江"),
    ("成都", "四川省"),
    ("长沙", "湖南"),
    ("武汉", "湖北省"),
    ("福州", "福建"),
    ("海口", "海南省"),
    ("贵阳", "贵州"),
];

/// The Chinese organisations the seed article names, always members.
pub const NAMED_CHINESE: &[(&str, &str)] = &[
    ("广西大学", "高校"),
    ("广西医科大学", "高校"),
    ("广西中医药大学", "高校"),
    ("广西师范大学", "高校"),
    ("广西民族大学", "高校"),
    ("桂林电子科技大学", "高校"),
    ("桂林理工大学", "高校"),
    ("广西科技大学", "高校"),
    ("广西科学院", "科研院所"),
    ("广西农业科学院", "科研院所"),
    ("广西水牛研究所", "科研院所"),
    ("广西甘蔗研究所", "科研院所"),
    ("广西亚热带作物研究所", "科研院所"),
    ("广西林业科学研究院", "科研院所"),
    ("广西南南铝加工有限公司", "企业"),
    ("广西医科大学第一附属医院", "医院"),
    ("广西中医药大学第一附属医院", "医院"),
    ("广西壮族自治区科学技术厅", "政府机构"),
];

fn shuffled(rng: &mut Rng, mut items: Vec<String>) -> Vec<String> {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
    items
}

/// 1,282 Chinese members.
pub fn chinese_members(rng: &mut Rng) -> Vec<Org> {
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut orgs = Vec::new();
    let mut push =
        |name: String, kind: &'static str, province: &'static str, orgs: &mut Vec<Org>| {
            if taken.insert(name.clone()) {
                orgs.push(Org {
                    name,
                    kind,
                    code: "CN",
                    country_zh: "中国",
                    province: Some(province),
                });
            }
        };
    for (name, kind) in NAMED_CHINESE {
        push((*name).to_owned(), kind, "广西", &mut orgs);
    }
    let per_city = |suffixes: &[&str]| -> Vec<String> {
        CITIES
            .iter()
            .flat_map(|(c, _)| suffixes.iter().map(move |s| format!("{c}{s}")))
            .collect()
    };
    let province_of = |name: &str| {
        CITIES
            .iter()
            .find(|(c, _)| name.starts_with(c))
            .map_or("广西", |(_, p)| *p)
    };
    let fields = [
        "农业科学",
        "林业科学",
        "水产科学",
        "畜牧",
        "茶叶",
        "蚕业",
        "土壤肥料",
        "植物保护",
        "能源",
        "环境科学",
        "生物技术",
        "海洋",
    ];
    let plan: [(&'static str, usize, Vec<String>); 6] = [
        (
            "高校",
            70,
            per_city(&[
                "职业技术学院",
                "学院",
                "农业职业技术学院",
                "工业职业技术学院",
            ]),
        ),
        (
            "科研院所",
            180,
            CITIES
                .iter()
                .flat_map(|(c, _)| fields.iter().map(move |f| format!("{c}市{f}研究所")))
                .collect(),
        ),
        (
            "政府机构",
            90,
            per_city(&[
                "市科学技术局",
                "市工业和信息化局",
                "市农业农村局",
                "市商务局",
            ]),
        ),
        (
            "技术转移中心",
            82,
            per_city(&[
                "技术转移中心",
                "科技成果转化中心",
                "生产力促进中心",
                "科技企业孵化器",
            ]),
        ),
        (
            "医院",
            100,
            per_city(&["市人民医院", "市中医医院", "市妇幼保健院", "市第二人民医院"]),
        ),
        ("企业", 760, {
            let a = [
                "华", "绿", "金", "新", "科", "宏", "泰", "源", "盛", "博", "嘉", "瑞", "鑫", "恒",
                "达", "信", "丰", "茂", "远", "安",
            ];
            let b = [
                "能", "农", "创", "诚", "通", "力", "邦", "润", "和", "德", "康", "益", "联", "海",
                "正", "明",
            ];
            let industry = [
                "农业科技",
                "生物技术",
                "新能源",
                "环保科技",
                "机械制造",
                "信息技术",
                "医药",
                "新材料",
                "种业",
                "海洋科技",
                "糖业",
                "铝业",
            ];
            let mut names = Vec::new();
            for (c, _) in CITIES {
                for x in a {
                    for y in b {
                        let i = industry[(x.len() + y.chars().next().map_or(0, |ch| ch as usize))
                            % industry.len()];
                        names.push(format!("{c}{x}{y}{i}有限公司"));
                    }
                }
            }
            names
        }),
    ];
    for (kind, count, candidates) in plan {
        let already = orgs.iter().filter(|o| o.kind == kind).count();
        let mut added = already;
        for name in shuffled(rng, candidates) {
            if added >= count {
                break;
            }
            let province = province_of(&name);
            let before = orgs.len();
            push(name, kind, province, &mut orgs);
            added += orgs.len() - before;
        }
    }
    orgs
}

/// ISO code, the country in Chinese, how many members, name prefixes, named members.
type CountryPlan = (
    &'static str,
    &'static str,
    usize,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// 481 members in ASEAN countries.
pub fn asean_members(rng: &mut Rng) -> Vec<Org> {
    let mut orgs = Vec::new();
    let org =
        |name: String, kind: &'static str, code: &'static str, country_zh: &'static str| Org {
            name,
            kind,
            code,
            country_zh,
            province: None,
        };
    // Việt Nam: Vietnamese names.
    let vn_named = [
        ("Học viện Nông nghiệp Việt Nam", "高校"),
        ("Viện Khoa học Nông nghiệp Việt Nam", "科研院所"),
        ("Viện Cây lương thực và Cây thực phẩm", "科研院所"),
        ("Viện Chăn nuôi", "科研院所"),
        ("Viện Bảo vệ thực vật", "科研院所"),
        (
            "Viện Cơ điện Nông nghiệp và Công nghệ sau thu hoạch",
            "科研院所",
        ),
        ("Trường Đại học Nông Lâm Thái Nguyên", "高校"),
        ("Trường Đại học Cần Thơ", "高校"),
        ("Trường Đại học Bách khoa Hà Nội", "高校"),
        ("Sở Khoa học và Công nghệ Lạng Sơn", "政府机构"),
        ("Sở Khoa học và Công nghệ Quảng Ninh", "政府机构"),
        ("Bệnh viện Y học cổ truyền Trung ương", "医院"),
        (
            "Trung tâm Ứng dụng tiến bộ khoa học và công nghệ Lạng Sơn",
            "技术转移中心",
        ),
    ];
    for (n, k) in vn_named {
        orgs.push(org(n.to_owned(), k, "VN", "越南"));
    }
    let sectors = [
        "Nông nghiệp",
        "Công nghệ",
        "Giống cây trồng",
        "Năng lượng",
        "Môi trường",
        "Cơ khí",
        "Dược liệu",
        "Thủy sản",
    ];
    let places = [
        "Hà Nội",
        "Lạng Sơn",
        "Quảng Ninh",
        "Hải Phòng",
        "Bắc Giang",
        "Lào Cai",
        "Cao Bằng",
        "Thái Nguyên",
        "Đà Nẵng",
        "Cần Thơ",
        "Sài Gòn",
        "Hưng Yên",
    ];
    let mut vn: Vec<String> = Vec::new();
    for form in ["Công ty TNHH", "Công ty Cổ phần"] {
        for s in sectors {
            for p in places {
                vn.push(format!("{form} {s} {p}"));
            }
        }
    }
    for n in shuffled(rng, vn).into_iter().take(110 - vn_named.len()) {
        orgs.push(org(n, "企业", "VN", "越南"));
    }
    // Thailand: Thai names, and Khon Kaen University as it signs in English.
    let th_named = [
        ("Khon Kaen University", "高校"),
        ("มหาวิทยาลัยเกษตรศาสตร์", "高校"),
        ("มหาวิทยาลัยเชียงใหม่", "高校"),
        ("มหาวิทยาลัยมหิดล", "高校"),
        ("มหาวิทยาลัยสงขลานครินทร์", "高校"),
        ("มหาวิทยาลัยแม่โจ้", "高校"),
        ("มหาวิทยาลัยนเรศวร", "高校"),
        ("สถาบันวิจัยวิทยาศาสตร์และเทคโนโลยีแห่งประเทศไทย", "科研院所"),
        ("ศูนย์พันธุวิศวกรรมและเทคโนโลยีชีวภาพแห่งชาติ", "科研院所"),
        ("สถาบันวิจัยข้าว", "科研院所"),
        ("สถาบันวิจัยพืชไร่", "科研院所"),
        ("สำนักงานพัฒนาวิทยาศาสตร์และเทคโนโลยีแห่งชาติ", "政府机构"),
        ("กระทรวงวิทยาศาสตร์และเทคโนโลยี", "政府机构"),
        ("โรงพยาบาลศิริราช", "医院"),
        ("โรงพยาบาลการแพทย์แผนไทยและการแพทย์ผสมผสาน", "医院"),
        ("ศูนย์ถ่ายทอดเทคโนโลยีภาคตะวันออกเฉียงเหนือ", "技术转移中心"),
    ];
    for (n, k) in th_named {
        orgs.push(org(n.to_owned(), k, "TH", "泰国"));
    }
    let a = [
        "เกษตร",
        "เทคโน",
        "พลังงาน",
        "ไบโอ",
        "สยาม",
        "กรีน",
        "อโกร",
        "ไทย",
    ];
    let b = [
        "ฟาร์ม",
        "เทค",
        "พัฒนา",
        "โกลด์",
        "อินเตอร์",
        "โซลูชั่น",
        "ซีด",
        "เอนจิเนียริ่ง",
    ];
    let mut th = Vec::new();
    for x in a {
        for y in b {
            th.push(format!("บริษัท {x}{y} จำกัด"));
        }
    }
    for n in shuffled(rng, th).into_iter().take(80 - th_named.len()) {
        orgs.push(org(n, "企业", "TH", "泰国"));
    }
    // The others, in English as they sign.
    let others: [CountryPlan; 8] = [
        (
            "LA",
            "老挝",
            60,
            &[
                "Lao",
                "Vientiane",
                "Luang Prabang",
                "Savannakhet",
                "Champasak",
                "Mekong",
            ],
            &[
                ("National University of Laos", "高校"),
                ("Ministry of Science and Technology, Lao PDR", "政府机构"),
                (
                    "Lao Agriculture and Forestry Research Institute",
                    "科研院所",
                ),
            ],
        ),
        (
            "KH",
            "柬埔寨",
            55,
            &[
                "Cambodia",
                "Phnom Penh",
                "Angkor",
                "Battambang",
                "Kampong Cham",
                "Tonle",
            ],
            &[
                ("Royal University of Agriculture", "高校"),
                ("Ministry of Industry and Handicraft, Cambodia", "政府机构"),
                (
                    "Cambodian Agricultural Research and Development Institute",
                    "科研院所",
                ),
            ],
        ),
        (
            "MM",
            "缅甸",
            45,
            &["Myanmar", "Yangon", "Mandalay", "Naypyitaw", "Shan"],
            &[
                ("Yezin Agricultural University", "高校"),
                ("Ministry of Science and Technology, Myanmar", "政府机构"),
            ],
        ),
        (
            "ID",
            "印尼",
            50,
            &[
                "Indonesia",
                "Jakarta",
                "Java",
                "Sumatra",
                "Bandung",
                "Surabaya",
            ],
            &[
                ("Bogor Agricultural University", "高校"),
                ("Universitas Gadjah Mada", "高校"),
                ("Indonesian Institute of Sciences", "科研院所"),
            ],
        ),
        (
            "MY",
            "马来西亚",
            40,
            &["Malaysia", "Kuala Lumpur", "Penang", "Johor", "Sarawak"],
            &[
                ("Universiti Putra Malaysia", "高校"),
                (
                    "Malaysian Agricultural Research and Development Institute",
                    "科研院所",
                ),
            ],
        ),
        (
            "PH",
            "菲律宾",
            20,
            &["Philippine", "Manila", "Luzon", "Mindanao"],
            &[
                ("University of the Philippines Los Baños", "高校"),
                ("Philippine Rice Research Institute", "科研院所"),
            ],
        ),
        (
            "SG",
            "新加坡",
            12,
            &["Singapore", "Lion City"],
            &[("Nanyang Technological University", "高校")],
        ),
        (
            "BN",
            "文莱",
            9,
            &["Brunei", "Bandar"],
            &[("Universiti Brunei Darussalam", "高校")],
        ),
    ];
    let sectors = [
        "Agro",
        "Agriculture Development",
        "Seed",
        "Energy",
        "Green Technology",
        "Mining Services",
        "Rubber",
        "Trading",
        "Engineering",
        "Pharma",
    ];
    for (code, zh, count, prefixes, named) in others {
        for (n, k) in named {
            orgs.push(org((*n).to_owned(), k, code, zh));
        }
        let candidates: Vec<String> = prefixes
            .iter()
            .flat_map(|p| sectors.iter().map(move |s| format!("{p} {s} Co., Ltd.")))
            .collect();
        for n in shuffled(rng, candidates)
            .into_iter()
            .take(count - named.len())
        {
            orgs.push(org(n, "企业", code, zh));
        }
    }
    orgs
}
