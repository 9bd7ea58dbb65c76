//! The corpus of messy reports in `tests/fixtures/messy/data/`: one small
//! file per problem real senders' files have (encodings, delimiters, layouts,
//! merged cells, formulas, error cells, totals rows, number, date, area,
//! country and province spellings, broken files). `tests/messy.rs` imports
//! them and checks each file's outcome; `tests/demo_data.rs` checks that this
//! writes the committed bytes.

use std::path::{Path, PathBuf};

use encoding_rs::{Encoding, GB18030, GBK, UTF_16BE, UTF_16LE, WINDOWS_1258, WINDOWS_874};
use rust_xlsxwriter::{Format, FormatAlign, Formula, Workbook};

use crate::DemoError;

/// Writes the corpus under `out`; returns the files written.
pub fn write_messy(out: &Path) -> Result<Vec<PathBuf>, DemoError> {
    let mut written = Vec::new();
    let mut csv = |folder: &str, name: &str, bytes: Vec<u8>| -> Result<(), DemoError> {
        let dir = out.join(folder);
        std::fs::create_dir_all(&dir).map_err(|e| DemoError::Io(dir.clone(), e))?;
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| DemoError::Io(path.clone(), e))?;
        written.push(path);
        Ok(())
    };

    // Encodings and delimiters: the same three columns in the senders' languages.
    let chinese = "编号,名称,国家\nENC-GB-1,广西大学,越南\nENC-GB-2,中国—东盟农业合作研究所,老挝\n";
    let vietnamese =
        "Số hợp đồng,Tên đơn vị,Quốc gia\nENC-VN-1,Viện Khoa học Nông nghiệp Việt Nam,Việt Nam\n";
    let thai = "เลขที่,ชื่อหน่วยงาน,ประเทศ\nENC-TH-1,มหาวิทยาลัยขอนแก่น,ประเทศไทย\n";
    csv(
        "encodings",
        "utf8.csv",
        chinese.replace("ENC-GB", "ENC-U8").into_bytes(),
    )?;
    csv(
        "encodings",
        "utf8-bom.csv",
        with_bom(&chinese.replace("ENC-GB", "ENC-BOM")),
    )?;
    csv("encodings", "gb18030.csv", encode(GB18030, chinese))?;
    csv(
        "encodings",
        "gbk.csv",
        encode(GBK, &chinese.replace("ENC-GB", "ENC-GBK")),
    )?;
    let unicode_text = chinese.replace("ENC-GB", "ENC-U16").replace(',', "\t");
    csv(
        "encodings",
        "excel-unicode-text-utf16le.csv",
        utf16(UTF_16LE, &unicode_text),
    )?;
    csv(
        "encodings",
        "utf16be.csv",
        utf16(UTF_16BE, &chinese.replace("ENC-GB", "ENC-U16BE")),
    )?;
    // Windows-1258 writes Vietnamese tone marks as combining characters.
    csv(
        "encodings",
        "windows-1258.csv",
        encode(WINDOWS_1258, &decompose_vietnamese(vietnamese)),
    )?;
    csv("encodings", "windows-874.csv", encode(WINDOWS_874, thai))?;
    csv(
        "encodings",
        "semicolons.csv",
        chinese
            .replace("ENC-GB", "ENC-SEMI")
            .replace(',', ";")
            .into_bytes(),
    )?;
    csv(
        "encodings",
        "tabs.csv",
        chinese
            .replace("ENC-GB", "ENC-TAB")
            .replace(',', "\t")
            .into_bytes(),
    )?;
    csv(
        "encodings",
        "title-and-notes-above-header.csv",
        format!(
            "2016年合作单位名单,,\n填报单位：广西科技厅,,\n{}",
            chinese.replace("ENC-GB", "ENC-TITLE")
        )
        .into_bytes(),
    )?;
    csv("encodings", "empty.csv", Vec::new())?;
    // A workbook saved with a .csv name.
    csv(
        "encodings",
        "workbook-named-csv.csv",
        b"PK\x03\x04\x14\x00\x06\x00rest of a zip".to_vec(),
    )?;

    // Money: thousands separators, currency symbols and codes, 万 and 亿.
    csv(
        "money",
        "thousands-and-symbols.csv",
        "Agreement No.,Amount,Currency,Date\n\
         MON-1,\"1,500,000.50\",RMB,2016-06-16\n\
         MON-2,¥ 80000,¥,2016-06-16\n\
         MON-3,\"5.000.000.000 ₫\",₫,2016-06-16\n\
         MON-4,฿ 120000,฿,2016-06-16\n\
         MON-5,Rp 150000000,Rp,2016-06-16\n\
         MON-6,RM 25000,RM,2016-06-16\n\
         MON-7,US$ 10000,US$,2016-06-16\n\
         MON-8,120万,元,2016-06-16\n\
         MON-9,1.5亿,人民币,2016-06-16\n\
         MON-10,-500,CNY,2016-06-16\n\
         MON-11,12.5.3,CNY,2016-06-16\n\
         MON-12,9000,XYZ,2016-06-16\n\
         MON-13,9000,USD,2031-01-01\n"
            .as_bytes()
            .to_vec(),
    )?;
    csv(
        "money-comma",
        "vietnamese-and-indonesian-numbers.csv",
        "Số hợp đồng,Giá trị,Tiền tệ,Ngày ký\n\
         MONC-1,\"1.500.000,50\",VND,2016-06-16\n\
         MONC-2,\"2.500,5\",IDR,2016-06-16\n"
            .as_bytes()
            .to_vec(),
    )?;
    csv(
        "money-wan",
        "wan-yuan-column.csv",
        "协议编号,协议金额（万元）,签约日期\nWAN-1,\"1,200.5\",2016-06-16\nWAN-2,3亿,2016-06-16\n"
            .as_bytes()
            .to_vec(),
    )?;

    // Counts: digits with units, Chinese numerals.
    csv(
        "counts",
        "chinese-numerals-and-units.csv",
        "培训班名称,学员人数\nCNT-1,三\nCNT-2,十二\nCNT-3,一百零五\nCNT-4,35人次\nCNT-5,许多\n"
            .as_bytes()
            .to_vec(),
    )?;

    // Dates, one convention per file.
    let dates = |rows: &[(&str, &str)]| -> Vec<u8> {
        let mut text = String::from("Agreement No.,Date signed\n");
        for (id, date) in rows {
            text.push_str(&format!("{id},{date}\n"));
        }
        text.into_bytes()
    };
    csv(
        "dates-ymd",
        "iso.csv",
        dates(&[
            ("D-ISO-1", "2016-06-16"),
            ("D-ISO-2", "2016-06-16T09:30:00"),
        ]),
    )?;
    csv(
        "dates-ymd",
        "chinese.csv",
        dates(&[("D-ZH-1", "2016年6月16日"), ("D-ZH-2", "2016年06月16日")]),
    )?;
    csv(
        "dates-ymd",
        "dotted.csv",
        dates(&[("D-DOT-1", "2016.6.16")]),
    )?;
    csv(
        "dates-ymd",
        "excel-serial-1900.csv",
        dates(&[("D-XL-1", "42537")]),
    )?;
    csv(
        "dates-ymd",
        "year-and-month-only.csv",
        dates(&[
            ("D-PREC-1", "2016"),
            ("D-PREC-2", "2016-06"),
            ("D-PREC-3", "2016年6月"),
        ]),
    )?;
    csv(
        "dates-ymd",
        "impossible.csv",
        dates(&[("D-BAD-1", "2016-02-30"), ("D-BAD-2", "soon")]),
    )?;
    csv(
        "dates-dmy",
        "day-month-year.csv",
        dates(&[
            ("D-DMY-1", "16/06/2016"),
            ("D-DMY-2", "16.6.2016"),
            ("D-DMY-3", "31/02/2016"),
        ]),
    )?;
    csv(
        "dates-dmy",
        "buddhist-era.csv",
        dates(&[("D-BE-1", "16/06/2559"), ("D-BE-2", "2559")]),
    )?;
    csv(
        "dates-dmy",
        "vietnamese-words.csv",
        dates(&[("D-VI-1", "ngày 16 tháng 6 năm 2016")]),
    )?;
    csv(
        "dates-mdy",
        "month-day-year.csv",
        dates(&[("D-MDY-1", "06/16/2016")]),
    )?;
    csv(
        "dates-1904",
        "excel-serial-1904.csv",
        dates(&[("D-1904-1", "41075")]),
    )?;

    // Areas in 亩, hectares and rai.
    let areas = |unit_header: &str, rows: &[(&str, &str)]| -> Vec<u8> {
        let mut text = format!("基地名称,{unit_header}\n");
        for (id, area) in rows {
            text.push_str(&format!("{id},{area}\n"));
        }
        text.into_bytes()
    };
    csv(
        "areas-mu",
        "mu.csv",
        areas("面积（亩）", &[("A-MU-1", "150"), ("A-MU-2", "\"1,500\"")]),
    )?;
    csv(
        "areas-ha",
        "hectares.csv",
        areas("Area (ha)", &[("A-HA-1", "12.5")]),
    )?;
    csv(
        "areas-rai",
        "rai.csv",
        areas("พื้นที่ (ไร่)", &[("A-RAI-1", "625")]),
    )?;

    // Percentages, half- and full-width, and one that is not a number.
    csv(
        "percentages",
        "yield-increase.csv",
        "基地名称,面积（亩）,增产率\nP-1,150,15%\nP-2,150,12.5 %\nP-3,150,８％\nP-4,150,15%%\n"
            .as_bytes()
            .to_vec(),
    )?;

    // Country names in Chinese, English and the countries' own languages.
    let countries = [
        ("越南", "VN"),
        ("印尼", "ID"),
        ("老挝", "LA"),
        ("缅甸", "MM"),
        ("柬埔寨", "KH"),
        ("泰国", "TH"),
        ("马来西亚", "MY"),
        ("菲律宾", "PH"),
        ("新加坡", "SG"),
        ("文莱", "BN"),
        ("Việt Nam", "VN"),
        ("ประเทศไทย", "TH"),
        ("ລາວ", "LA"),
        ("កម្ពុជា", "KH"),
        ("မြန်မာ", "MM"),
        ("Indonesia", "ID"),
        ("Malaysia", "MY"),
        ("Pilipinas", "PH"),
        ("Atlantis", ""),
    ];
    let mut text = String::from("Agreement No.,Country\n");
    for (i, (name, _)) in countries.iter().enumerate() {
        text.push_str(&format!("C-{},{name}\n", i + 1));
    }
    csv(
        "countries",
        "names-in-many-languages.csv",
        text.into_bytes(),
    )?;
    csv(
        "provinces",
        "with-and-without-suffix.csv",
        "单位名称,所在省份\nP-1,广西\nP-2,广西壮族自治区\nP-3,云南省\nP-4,云南\n"
            .as_bytes()
            .to_vec(),
    )?;

    // One organisation written several ways; the alias table of
    // tests/fixtures/messy/reference resolves English names and abbreviations.
    csv(
        "organisations",
        "one-body-many-spellings.csv",
        "Agreement No.,Organisation\n\
         ORG-1,广西南南铝加工有限公司\n\
         ORG-2,广西南南铝加工有限责任公司 \n\
         ORG-3,Guangxi University\n\
         ORG-4,广西大学\n\
         ORG-5,GUANGXI  UNIVERSITY.\n\
         ORG-6,CATTC\n\
         ORG-7,中国—东盟技术转移中心\n\
         ORG-8,GXU\n\
         ORG-9,Khon Kaen University\n"
            .as_bytes()
            .to_vec(),
    )?;

    write_workbooks(out, &mut written)?;
    Ok(written)
}

/// The workbook problems: layout, merged cells, formulas, errors, totals, broken files.
fn write_workbooks(out: &Path, written: &mut Vec<PathBuf>) -> Result<(), DemoError> {
    let dir = out.join("workbooks");
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::Io(dir.clone(), e))?;
    let header = [
        "协议编号",
        "外方单位",
        "合作国家",
        "协议金额",
        "币种",
        "签约日期",
    ];
    let bold = Format::new().set_bold();
    let mut save = |mut workbook: Workbook, name: &str| -> Result<(), DemoError> {
        let path = dir.join(name);
        workbook.save(&path)?;
        written.push(path);
        Ok(())
    };
    let rows = |id: &str| -> Vec<[String; 6]> {
        (1..=2)
            .map(|i| {
                [
                    format!("{id}-{i}"),
                    format!("Partner {i}"),
                    "越南".into(),
                    format!("{}", i * 100),
                    "CNY".into(),
                    "2016-06-16".into(),
                ]
            })
            .collect()
    };

    // Title and notes rows above the header; several sheets, one hidden.
    let mut workbook = crate::reports::workbook("messy")?;
    for (sheet, id, hidden) in [
        ("2015年", "WB-S15", false),
        ("2016年", "WB-S16", false),
        ("草稿", "WB-DRAFT", true),
    ] {
        let ws = workbook.add_worksheet().set_name(sheet)?;
        ws.write_string(0, 0, "中国—东盟技术转移合作协议汇总表")?;
        ws.write_string(1, 0, "填报单位：广西科技厅　金额单位：元")?;
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(2, c as u16, *h, &bold)?;
        }
        for (r, row) in rows(id).iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(3 + r as u32, c as u16, v)?;
            }
        }
        if hidden {
            ws.set_hidden(true);
        }
    }
    save(workbook, "sheets-titles-and-a-hidden-draft.xlsx")?;

    // A parent header merged over two sub-columns.
    let mut workbook = crate::reports::workbook("messy")?;
    let ws = workbook.add_worksheet().set_name("协议")?;
    let centred = Format::new().set_bold().set_align(FormatAlign::Center);
    for (c, h) in ["协议编号", "外方单位", "合作国家"].iter().enumerate() {
        ws.merge_range(0, c as u16, 1, c as u16, h, &centred)?;
    }
    ws.merge_range(0, 3, 0, 4, "协议金额", &centred)?;
    ws.write_string_with_format(1, 3, "金额", &bold)?;
    ws.write_string_with_format(1, 4, "币种", &bold)?;
    ws.merge_range(0, 5, 1, 5, "签约日期", &centred)?;
    for (r, row) in rows("WB-TWO").iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(2 + r as u32, c as u16, v)?;
        }
    }
    save(workbook, "two-row-header.xlsx")?;

    // The country merged down over three rows.
    let mut workbook = crate::reports::workbook("messy")?;
    let ws = workbook.add_worksheet().set_name("协议")?;
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for i in 0..3u32 {
        let r = 1 + i;
        ws.write_string(r, 0, format!("WB-MERGED-{}", i + 1))?;
        ws.write_string(r, 1, format!("Partner {}", i + 1))?;
        ws.write_number(r, 3, 100.0)?;
        ws.write_string(r, 4, "CNY")?;
        ws.write_string(r, 5, "2016-06-16")?;
    }
    ws.merge_range(1, 2, 3, 2, "老挝", &Format::new())?;
    save(workbook, "country-merged-down.xlsx")?;

    // Formulas with their cached values, error cells, and totals rows.
    let mut workbook = crate::reports::workbook("messy")?;
    let ws = workbook.add_worksheet().set_name("协议")?;
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let data = [
        ("WB-FORMULA-1", Formula::new("=50*2").set_result("100")),
        ("WB-FORMULA-2", Formula::new("=1/0").set_result("#DIV/0!")),
        ("WB-FORMULA-3", Formula::new("=NA()").set_result("#N/A")),
    ];
    for (i, (id, formula)) in data.into_iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, id)?;
        ws.write_string(r, 1, "Partner")?;
        ws.write_string(r, 2, "泰国")?;
        ws.write_formula(r, 3, formula)?;
        ws.write_string(r, 4, "CNY")?;
        ws.write_string(r, 5, "2016-06-16")?;
    }
    for (r, label) in [(4u32, "小计"), (5, "合计")] {
        ws.write_string(r, 0, label)?;
        ws.write_formula(r, 3, Formula::new("=SUM(D2:D4)").set_result("100"))?;
    }
    save(workbook, "formulas-errors-and-totals.xlsx")?;

    // A workbook whose only sheet is empty.
    let mut workbook = crate::reports::workbook("messy")?;
    workbook.add_worksheet().set_name("协议")?;
    save(workbook, "empty-sheet.xlsx")?;

    // Broken files: a truncated workbook, and an encrypted one (Office
    // stores password-protected workbooks as an OLE compound file, not a zip).
    let mut raw = |name: &str, bytes: &[u8]| -> Result<(), DemoError> {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| DemoError::Io(path.clone(), e))?;
        written.push(path);
        Ok(())
    };
    raw(
        "truncated.xlsx",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
    )?;
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend_from_slice(&[0; 504]);
    raw("password-protected.xlsx", &ole)?;
    Ok(())
}

fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "{} cannot hold {text}", encoding.name());
    bytes.into_owned()
}

fn with_bom(text: &str) -> Vec<u8> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// UTF-16 with its byte-order mark, as Excel's "Unicode text" writes it
/// (encoding_rs only decodes UTF-16, so the code units are written here).
fn utf16(encoding: &'static Encoding, text: &str) -> Vec<u8> {
    let big_endian = encoding == UTF_16BE;
    std::iter::once(0xFEFF)
        .chain(text.encode_utf16())
        .flat_map(|unit| {
            if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            }
        })
        .collect()
}

/// The Vietnamese letters of the corpus with their tone marks as combining
/// characters, which is how Windows-1258 stores them.
fn decompose_vietnamese(text: &str) -> String {
    text.replace('ệ', "\u{ea}\u{323}")
        .replace('ố', "\u{f4}\u{301}")
        .replace('ọ', "o\u{323}")
        .replace('ợ', "\u{1a1}\u{323}")
        .replace('ồ', "\u{f4}\u{300}")
        .replace('ị', "i\u{323}")
}
