//! The seeded data set of insured persons behind qualification lookups. It always holds at least
//! one search for every `QualificationValidity` (1–5), so scenarios can ask for "a person whose
//! qualification is 無効（新しい資格あり）" without knowing the data.

use oqs_proto::qualification::{
    ALL_VALIDITIES, QualificationRecord, QualificationResult, QualificationValidity, SearchInfo,
};
use rand::Rng;
use rand::seq::IndexedRandom;
use std::collections::BTreeMap;
use time::{Date, Duration, Month};

/// (kanji, half-width kana)
const FAMILY: &[(&str, &str)] = &[
    ("山田", "ﾔﾏﾀﾞ"),
    ("佐藤", "ｻﾄｳ"),
    ("鈴木", "ｽｽﾞｷ"),
    ("高橋", "ﾀｶﾊｼ"),
    ("田中", "ﾀﾅｶ"),
    ("渡辺", "ﾜﾀﾅﾍﾞ"),
    ("伊藤", "ｲﾄｳ"),
    ("中村", "ﾅｶﾑﾗ"),
    ("髙橋", "ﾀｶﾊｼ"),
    ("山﨑", "ﾔﾏｻﾞｷ"),
];
const GIVEN: &[(&str, &str, &str)] = &[
    ("太郎", "ﾀﾛｳ", "1"),
    ("花子", "ﾊﾅｺ", "2"),
    ("一郎", "ｲﾁﾛｳ", "1"),
    ("美咲", "ﾐｻｷ", "2"),
    ("健太", "ｹﾝﾀ", "1"),
    ("陽子", "ﾖｳｺ", "2"),
];
const INSURERS: &[(&str, &str)] = &[
    ("06130012", "全国健康保険協会東京支部"),
    ("06270015", "全国健康保険協会大阪支部"),
    ("138057", "東京都千代田区"),
    ("39131015", "東京都後期高齢者医療広域連合"),
    ("32130114", "東京都職員共済組合"),
];

/// 記号 of real insurance cards are often kanji or kana with full-width digits (国保, 共済):
/// data a receipt computer must carry through Shift_JIS and UTF-8 unchanged.
const SYMBOL_PREFIXES: &[&str] = &["", "千代田", "あ", "港", "ア"];

/// A 記号: a prefix from [`SYMBOL_PREFIXES`] and `n` in full-width digits (no extra draw from
/// the seed's generator, so a seed gives the same people as before apart from this field).
fn card_symbol(n: u32) -> String {
    let digits: String = n
        .to_string()
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c))
        .collect();
    format!(
        "{}{digits}",
        SYMBOL_PREFIXES[n as usize % SYMBOL_PREFIXES.len()]
    )
}

struct Entry {
    person: usize,
    record: QualificationRecord,
}

pub struct InsuredRegistry {
    entries: Vec<Entry>,
    examples: BTreeMap<u8, SearchInfo>,
}

fn ymd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month() as u8, d.day())
}

fn search_of(r: &QualificationRecord, with_branch: bool) -> SearchInfo {
    SearchInfo {
        insurer_number: r.insurer_number.clone(),
        insured_card_symbol: r.insured_card_symbol.clone(),
        insured_identification_number: r.insured_identification_number.clone(),
        insured_branch_number: if with_branch {
            r.insured_branch_number.clone()
        } else {
            String::new()
        },
        birthdate: r.birthdate.clone(),
        limit_application_certificate_related_cons_flg: "0".into(),
    }
}

impl InsuredRegistry {
    /// `persons` people (at least 8), generated from `rng`, as of `today`.
    // Longer than the house's 80 lines: persons 1–6 are the cases scenarios rely on (lost,
    // newer qualification, twins, 国保, 𠮷), one paragraph each, read best in one place.
    pub fn seeded(rng: &mut impl Rng, today: Date, persons: usize) -> Self {
        let persons = persons.max(8);
        let mut entries = Vec::new();
        let mut next_number = rng.random_range(10_000u32..20_000);
        let mut record = |rng: &mut dyn rand::RngCore,
                          person: usize,
                          birth: Date,
                          family: (&str, &str),
                          branch: &str| {
            let (insurer, insurer_name) = *INSURERS.choose(rng).expect("non-empty");
            let given = *GIVEN.choose(rng).expect("non-empty");
            next_number += 1 + rng.random_range(0..7);
            let since = today - Duration::days(rng.random_range(30..3000));
            let record = QualificationRecord {
                insured_card_classification: "01".into(),
                insurer_number: format!("{insurer:>8}"),
                insured_card_symbol: card_symbol(rng.random_range(1..999)),
                insured_identification_number: next_number.to_string(),
                insured_branch_number: branch.to_owned(),
                personal_family_classification: if branch == "00" { "1" } else { "2" }.into(),
                name: format!("{}　{}", family.0, given.0),
                name_kana: format!("{} {}", family.1, given.1),
                sex1: given.2.into(),
                birthdate: ymd(birth),
                address: "東京都千代田区霞が関１－２－２".into(),
                post_number: "100-8916".into(),
                qualification_date: ymd(since),
                disqualification_date: String::new(),
                insured_partial_contribution_ratio: "030".into(),
                insurer_name: insurer_name.into(),
                ..Default::default()
            };
            Entry { person, record }
        };
        for person in 0..persons {
            let birth = Date::from_calendar_date(
                rng.random_range(1940..2020),
                Month::try_from(rng.random_range(1u8..=12)).expect("1-12"),
                rng.random_range(1u8..=28),
            )
            .expect("valid date");
            let family = *FAMILY.choose(rng).expect("non-empty");
            entries.push(record(rng, person, birth, family, "00"));
        }
        let lost =
            |r: &mut QualificationRecord| r.disqualification_date = ymd(today - Duration::days(10));
        // person 1: lost the qualification, nothing newer → 無効
        lost(&mut entries[1].record);
        // person 2: lost it and has a newer one → 無効（新しい資格あり）
        lost(&mut entries[2].record);
        let p2 = &entries[2].record;
        let birth2 = Date::parse(
            &p2.birthdate,
            time::macros::format_description!("[year][month][day]"),
        )
        .expect("ours");
        let fam2 = FAMILY
            .iter()
            .find(|f| p2.name.starts_with(f.0))
            .copied()
            .unwrap_or(FAMILY[0]);
        let mut newer = record(rng, 2, birth2, fam2, "00");
        newer.record.name = p2.name.clone();
        newer.record.name_kana = p2.name_kana.clone();
        newer.record.qualification_date = ymd(today - Duration::days(9));
        entries.push(newer);
        // persons 3 and 4: twins on one card number, told apart only by the branch → 複数該当
        let (a, b) = (
            search_of(&entries[3].record, true),
            entries[3].record.clone(),
        );
        {
            let twin = &mut entries[4].record;
            twin.insurer_number = a.insurer_number.clone();
            twin.insured_card_symbol = a.insured_card_symbol.clone();
            twin.insured_identification_number = a.insured_identification_number.clone();
            twin.insured_branch_number = "01".into();
            twin.birthdate = b.birthdate.clone();
            twin.personal_family_classification = "2".into();
        }
        // person 5 always has a 国保 insurer with a 6-digit number (sent left-padded with spaces)
        entries[5].record.insurer_number = format!("{:>8}", INSURERS[2].0);
        entries[5].record.insurer_name = INSURERS[2].1.into();
        // person 6's name has 𠮷 (U+20BB7), which Shift_JIS cannot hold: a Shift-JIS site's
        // result for this person must be an explicit error, never a silent "?".
        entries[6].record.name = "𠮷田　花子".into();
        entries[6].record.name_kana = "ﾖｼﾀﾞ ﾊﾅｺ".into();
        entries[6].record.sex1 = "2".into();
        let mut examples = BTreeMap::new();
        examples.insert(1, search_of(&entries[0].record, true));
        examples.insert(2, search_of(&entries[1].record, true));
        examples.insert(3, search_of(&entries[2].record, true));
        let mut nobody = search_of(&entries[0].record, true);
        nobody.insured_identification_number = "99999999".into();
        examples.insert(4, nobody);
        examples.insert(5, search_of(&entries[3].record, false));
        Self { entries, examples }
    }

    /// A search that yields `v`.
    pub fn example(&self, v: QualificationValidity) -> SearchInfo {
        self.examples[&(v as u8)].clone()
    }

    /// A search for a valid qualification with a 6-digit (国保) insurer number, typed as the
    /// 6 digits a person sees on the card.
    pub fn example_six_digit_insurer(&self) -> SearchInfo {
        let mut s = search_of(&self.entries[5].record, true);
        s.insurer_number = s.insurer_number.trim().to_owned();
        s
    }

    /// A search for a valid qualification whose holder's name Shift_JIS cannot represent.
    pub fn example_unrepresentable_in_shift_jis(&self) -> SearchInfo {
        search_of(&self.entries[6].record, true)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// 資格確認 by insurance data, as of `today`.
    pub fn lookup(&self, q: &SearchInfo, today: Date) -> QualificationResult {
        let matches: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| {
                let r = &e.record;
                r.insurer_number == q.insurer_number
                    && r.insured_card_symbol == q.insured_card_symbol
                    && r.insured_identification_number == q.insured_identification_number
                    && r.birthdate == q.birthdate
                    && (q.insured_branch_number.is_empty()
                        || r.insured_branch_number == q.insured_branch_number)
            })
            .collect();
        let today = ymd(today);
        let validity = match matches.as_slice() {
            [] => QualificationValidity::NotFound,
            [e] => {
                let lost = !e.record.disqualification_date.is_empty()
                    && e.record.disqualification_date <= today;
                let newer = self.entries.iter().any(|o| {
                    o.person == e.person
                        && o.record.qualification_date > e.record.qualification_date
                        && o.record.disqualification_date.is_empty()
                });
                match (lost, newer) {
                    (false, _) => QualificationValidity::Valid,
                    (true, true) => QualificationValidity::InvalidNewerExists,
                    (true, false) => QualificationValidity::Invalid,
                }
            }
            _ => QualificationValidity::Multiple,
        };
        QualificationResult {
            processing_result_status: 1,
            qualification_validity: validity,
            result_list: matches.into_iter().map(|e| e.record.clone()).collect(),
        }
    }

    /// The records of the person a registration names: insurer number and 番号 always, 記号 and
    /// 枝番 when given.
    pub fn find(
        &self,
        insurer: &str,
        symbol: &str,
        number: &str,
        branch: &str,
    ) -> Vec<&QualificationRecord> {
        self.entries
            .iter()
            .map(|e| &e.record)
            .filter(|r| {
                r.insurer_number == insurer
                    && r.insured_identification_number == number
                    && (symbol.is_empty() || r.insured_card_symbol == symbol)
                    && (branch.is_empty() || r.insured_branch_number == branch)
            })
            .collect()
    }

    /// 資格確認 by card: the person's qualification as of `today` — the current record(s), or
    /// the latest lost one when nothing is current (a card names one person: never 複数該当).
    pub fn by_person(&self, person: usize, today: Date) -> QualificationResult {
        let today = ymd(today);
        let mine: Vec<&QualificationRecord> = self
            .entries
            .iter()
            .filter(|e| e.person == person)
            .map(|e| &e.record)
            .collect();
        let current: Vec<QualificationRecord> = mine
            .iter()
            .filter(|r| r.disqualification_date.is_empty() || r.disqualification_date > today)
            .map(|r| (*r).clone())
            .collect();
        let (validity, list) = match (current.is_empty(), mine.last()) {
            (false, _) => (QualificationValidity::Valid, current),
            (true, Some(last)) => (QualificationValidity::Invalid, vec![(*last).clone()]),
            (true, None) => (QualificationValidity::NotFound, Vec::new()),
        };
        QualificationResult {
            processing_result_status: 1,
            qualification_validity: validity,
            result_list: list,
        }
    }

    /// What is printed on person `person`'s card: (name, birthdate yyyyMMdd, sex, address).
    pub fn card_face(&self, person: usize) -> Option<(String, String, String, String)> {
        let r = &self.entries.iter().find(|e| e.person == person)?.record;
        Some((
            r.name.clone(),
            r.birthdate.clone(),
            r.sex1.clone(),
            r.address.clone(),
        ))
    }

    /// Every validity has an example that yields it (the unit tests check it for many seeds).
    pub fn covers_every_validity(&self, today: Date) -> bool {
        ALL_VALIDITIES
            .iter()
            .all(|v| self.lookup(&self.example(*v), today).qualification_validity == *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn every_validity_is_reachable_for_any_seed() {
        let today = time::macros::date!(2025 - 04 - 01);
        for seed in 0..200 {
            let reg = InsuredRegistry::seeded(&mut ChaCha8Rng::seed_from_u64(seed), today, 30);
            for v in ALL_VALIDITIES {
                let r = reg.lookup(&reg.example(v), today);
                assert_eq!(r.qualification_validity, v, "seed {seed}");
                match v {
                    QualificationValidity::NotFound => assert!(r.result_list.is_empty()),
                    QualificationValidity::Multiple => assert_eq!(r.result_list.len(), 2),
                    _ => assert_eq!(r.result_list.len(), 1),
                }
            }
            let six = reg.example_six_digit_insurer();
            assert_eq!(six.insurer_number.len(), 6);
            let r = reg.lookup(&six.normalized().unwrap(), today);
            assert_eq!(
                r.qualification_validity,
                QualificationValidity::Valid,
                "seed {seed}"
            );
        }
    }

    #[test]
    fn same_seed_same_people() {
        let today = time::macros::date!(2025 - 04 - 01);
        let a = InsuredRegistry::seeded(&mut ChaCha8Rng::seed_from_u64(7), today, 30);
        let b = InsuredRegistry::seeded(&mut ChaCha8Rng::seed_from_u64(7), today, 30);
        assert_eq!(
            a.example(QualificationValidity::Valid),
            b.example(QualificationValidity::Valid)
        );
    }
}
