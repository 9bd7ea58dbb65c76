//! Which script a column's values are written in, so that a language tag
//! is checked against the values it is given: the Guangxi pipeline tags
//! technology names "zh", and a draft adapted from it for an Indonesian
//! report tagged Indonesian names as Chinese; a sender who starts writing
//! a column in another language would get the same from an import.

/// A language told apart by its letters.
struct Script {
    /// Its BCP 47 tag.
    tag: &'static str,
    /// Other languages' tags written in the same letters.
    alike: &'static [&'static str],
    /// Its letters, in words.
    letters: &'static str,
    shows: fn(char) -> bool,
}

/// The languages told apart by their letters: Chinese by Han characters,
/// the ASEAN languages with scripts of their own, and Vietnamese by the
/// letters only it uses among the Latin ones.
const SHOWN: [Script; 6] = [
    Script {
        tag: "zh",
        alike: &["cmn", "yue", "wuu", "ja"],
        letters: "Chinese characters",
        shows: is_han,
    },
    Script {
        tag: "th",
        alike: &[],
        letters: "Thai letters",
        shows: |c| matches!(c, '\u{0E00}'..='\u{0E7F}'),
    },
    Script {
        tag: "lo",
        alike: &[],
        letters: "Lao letters",
        shows: |c| matches!(c, '\u{0E80}'..='\u{0EFF}'),
    },
    Script {
        tag: "km",
        alike: &[],
        letters: "Khmer letters",
        shows: |c| matches!(c, '\u{1780}'..='\u{17FF}'),
    },
    Script {
        tag: "my",
        alike: &[],
        letters: "Myanmar letters",
        shows: |c| matches!(c, '\u{1000}'..='\u{109F}'),
    },
    Script {
        tag: "vi",
        alike: &[],
        letters: "Vietnamese letters",
        shows: is_vietnamese,
    },
];

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// Letters of Vietnamese that English, Indonesian or Malay do not use:
/// ă â đ ê ô ơ ư and the vowels with a tone mark below or a hook
/// (Latin Extended Additional, ạ to ỹ).
fn is_vietnamese(c: char) -> bool {
    "ăâđêôơưĂÂĐÊÔƠƯ".contains(c) || matches!(c, '\u{1EA0}'..='\u{1EF9}')
}

/// How many of a column's values (those not empty) show each of [`SHOWN`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Writing {
    values: usize,
    shown: [usize; SHOWN.len()],
}

/// A language tag that does not fit the values it is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    /// The tag their letters show, if any does.
    pub shown: Option<&'static str>,
    /// Why the tag does not fit, in words.
    pub why: String,
}

impl Writing {
    pub fn of<'v>(values: impl IntoIterator<Item = &'v str>) -> Self {
        let mut writing = Writing::default();
        values.into_iter().for_each(|v| writing.add(v));
        writing
    }

    /// Counts one more value (none if it is empty).
    pub fn add(&mut self, value: &str) {
        if value.trim().is_empty() {
            return;
        }
        self.values += 1;
        // Every script told apart is outside ASCII: most values of an
        // English or Indonesian column are read once.
        if value.is_ascii() {
            return;
        }
        for (n, script) in self.shown.iter_mut().zip(&SHOWN) {
            if value.chars().any(script.shows) {
                *n += 1;
            }
        }
    }

    /// The tag at least half of the values show by their letters.
    fn shown(&self) -> Option<usize> {
        (0..SHOWN.len())
            .filter(|&i| self.shown[i] * 2 >= self.values && self.values > 0)
            .max_by_key(|&i| self.shown[i])
    }

    /// Why `lang` (a BCP 47 tag such as "zh" or "zh-Hans") does not fit
    /// the values, if it does not: a language of [`SHOWN`] needs half of
    /// them to show its letters; another (en, id, ms, …) needs them not to
    /// be mostly in the letters of one of those. With no values read, any
    /// tag fits.
    pub fn misfit(&self, lang: &str) -> Option<Misfit> {
        let primary = lang.split(['-', '_']).next().unwrap_or(lang).to_lowercase();
        let shown = self.shown();
        let describe = |i: usize| SHOWN[i].letters;
        let why = match (
            SHOWN
                .iter()
                .position(|s| s.tag == primary || s.alike.contains(&primary.as_str())),
            shown,
        ) {
            (Some(i), _) if self.shown[i] * 2 < self.values => format!(
                "{} of the {} values read have no {}",
                self.values - self.shown[i],
                self.values,
                describe(i)
            ),
            (None, Some(i)) => format!(
                "{} of the {} values read are written in {}",
                self.shown[i],
                self.values,
                describe(i)
            ),
            _ => return None,
        };
        Some(Misfit {
            shown: shown.map(|i| SHOWN[i].tag),
            why,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_fits_the_values_whose_letters_show_it() {
        let chinese = Writing::of(["杂交水稻技术", "木薯加工", "Bt 抗虫棉"]);
        assert_eq!(chinese.misfit("zh"), None);
        assert_eq!(chinese.misfit("zh-Hans"), None);
        assert_eq!(chinese.misfit("ja"), None, "written in the same letters");
        let vietnamese = Writing::of(["Công nghệ lúa lai", "Viện Khoa học Nông nghiệp"]);
        assert_eq!(vietnamese.misfit("vi"), None);
        let thai = Writing::of(["เทคโนโลยีข้าวลูกผสม", "มันสำปะหลัง"]);
        assert_eq!(thai.misfit("th"), None);
        // Latin letters alone: any tag of a Latin-written language fits.
        let indonesian = Writing::of(["Teknologi padi hibrida", "Pengolahan singkong"]);
        assert_eq!(indonesian.misfit("id"), None);
        assert_eq!(indonesian.misfit("en"), None);
        assert_eq!(Writing::of(["", " "]).misfit("zh"), None, "nothing read");
    }

    #[test]
    fn a_tag_that_the_values_do_not_show_is_a_misfit_with_the_tag_they_do() {
        let indonesian = Writing::of(["Teknologi padi hibrida", "Pengolahan singkong", ""]);
        let misfit = indonesian.misfit("zh").expect("not Chinese");
        assert_eq!(misfit.shown, None);
        assert_eq!(
            misfit.why,
            "2 of the 2 values read have no Chinese characters"
        );
        assert!(indonesian.misfit("vi").is_some());
        let vietnamese = Writing::of(["Công nghệ lúa lai", "Sắn", "Vinamilk"]);
        let misfit = vietnamese.misfit("zh").expect("not Chinese");
        assert_eq!(misfit.shown, Some("vi"));
        let misfit = vietnamese.misfit("en").expect("not English");
        assert_eq!(misfit.shown, Some("vi"));
        assert_eq!(
            misfit.why,
            "2 of the 3 values read are written in Vietnamese letters"
        );
        let chinese = Writing::of(["杂交水稻", "木薯"]);
        assert_eq!(chinese.misfit("th").and_then(|m| m.shown), Some("zh"));
    }
}
