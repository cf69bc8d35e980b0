//! The card-face files of the My Number Card, as real cards hold them and public clients parse
//! them (evidence: OpenSC, jpki/myna, jpki-rs, myna-card with bytes of a J-LIS test card,
//! pymyna, AokiApp's jsapdu; see INTERFACES §3):
//!
//! - 券面入力補助AP (card input helper): EF `0001` the My Number, 17 bytes
//!   `FF 10 0C <12 ASCII digits> FF FF`; EF `0002` the basic 4 items
//!   `FF 20 L | DF21 08 <four u16 offsets from the file start to DF22…DF25> | DF22 name |
//!   DF23 address | DF24 birth date yyyyMMdd | DF25 sex`, UTF-8, sex coded as ISO 5218
//!   (1 male, 2 female, 9 not applicable).
//! - 券面AP (card surface, 券面事項確認AP): EF `0002`
//!   `FF 20 L | DF21 <nine u16 offsets> | DF22 birth date | DF23 sex | DF24 public key |
//!   DF25 name image | DF26 address image | DF27 face photo | DF28 signature | DF29 expiry date |
//!   DF2A security-code image`; EF `0005` `FF 40 L | DF41 My Number image | DF42 key | DF43 sig`.
//!
//! Lengths are one byte below 128 and `82 HH LL` above, as the test card's files show (clients
//! such as pymyna read the length byte alone and depend on the short form).

/// 券面入力補助AP files and keys.
pub const HOJO_EF_MY_NUMBER: [u8; 2] = [0x00, 0x01];
pub const HOJO_EF_BASIC4: [u8; 2] = [0x00, 0x02];
/// The 4-digit 暗証番号 (the same as the JPKI authentication PIN on most cards).
pub const HOJO_KEY_PIN: [u8; 2] = [0x00, 0x11];
/// A key that every card is issued with blocked.
pub const HOJO_KEY_BLOCKED: [u8; 2] = [0x00, 0x12];
/// 照合番号A: the 12-digit My Number.
pub const HOJO_KEY_A: [u8; 2] = [0x00, 0x14];
/// 照合番号B: see [`code_b`].
pub const HOJO_KEY_B: [u8; 2] = [0x00, 0x15];

/// 券面AP files and keys (not the 4-digit PIN).
pub const SURFACE_EF_FACE: [u8; 2] = [0x00, 0x02];
pub const SURFACE_EF_MY_NUMBER: [u8; 2] = [0x00, 0x05];
/// The birth date in the Japanese era, `YYMMDD`.
pub const SURFACE_KEY_BIRTH: [u8; 2] = [0x00, 0x11];
/// 照合番号B: see [`code_b`].
pub const SURFACE_KEY_B: [u8; 2] = [0x00, 0x12];
/// 照合番号A: the 12-digit My Number.
pub const SURFACE_KEY_A: [u8; 2] = [0x00, 0x13];

/// Why bytes are not the file they should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("カードのファイルが途中で終わっています（{0}）")]
    Truncated(&'static str),
    #[error("カードのファイルのタグが違います（{what}: {found:02X?}）")]
    Tag { what: &'static str, found: Vec<u8> },
    #[error("カードのファイルの文字がUTF-8ではありません（{0}）")]
    Text(&'static str),
}

/// `tag len value`, the length as the card writes it. Values are card files' (kilobytes): one
/// past 65535 bytes is a bug of the caller.
pub fn tlv(tag: &[u8], value: &[u8], out: &mut Vec<u8>) {
    assert!(value.len() <= 0xFFFF, "a card TLV of {} bytes", value.len());
    out.extend_from_slice(tag);
    match value.len() {
        n @ 0..0x80 => out.push(n as u8),
        n => {
            out.push(0x82);
            out.extend_from_slice(&(n.min(0xFFFF) as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(value);
}

/// A TLV's tag and value, and the bytes after it.
type Taken<'a> = ([u8; 2], &'a [u8], &'a [u8]);

/// One TLV at the start of `b` with a two-byte tag.
fn take<'a>(b: &'a [u8], what: &'static str) -> Result<Taken<'a>, FileError> {
    let short = || FileError::Truncated(what);
    let tag = [*b.first().ok_or_else(short)?, *b.get(1).ok_or_else(short)?];
    let (len, at) = match *b.get(2).ok_or_else(short)? {
        n @ 0..=0x7F => (usize::from(n), 3),
        0x81 => (usize::from(*b.get(3).ok_or_else(short)?), 4),
        0x82 => (
            usize::from(u16::from_be_bytes([
                *b.get(3).ok_or_else(short)?,
                *b.get(4).ok_or_else(short)?,
            ])),
            5,
        ),
        _ => return Err(short()),
    };
    let value = b.get(at..at + len).ok_or_else(short)?;
    Ok((tag, value, &b[at + len..]))
}

/// The value of the TLV with `tag` at the start of `b`, and the rest.
fn expect<'a>(
    b: &'a [u8],
    tag: [u8; 2],
    what: &'static str,
) -> Result<(&'a [u8], &'a [u8]), FileError> {
    let (t, v, rest) = take(b, what)?;
    if t != tag {
        return Err(FileError::Tag {
            what,
            found: t.to_vec(),
        });
    }
    Ok((v, rest))
}

fn text(v: &[u8], what: &'static str) -> Result<String, FileError> {
    String::from_utf8(v.to_vec()).map_err(|_| FileError::Text(what))
}

/// A constructed file: `outer` around `items` (tag, value), preceded by the offset table
/// `DF21` giving each item's offset from the start of the file.
fn with_offsets(outer: [u8; 2], items: &[([u8; 2], &[u8])]) -> Vec<u8> {
    // the items first: where each starts inside them
    let mut encoded = Vec::new();
    let starts: Vec<usize> = items
        .iter()
        .map(|(t, v)| {
            let at = encoded.len();
            tlv(t, v, &mut encoded);
            at
        })
        .collect();
    // then the file's layout: outer header (short or long length), the DF21 table, the items
    let table_len = 2 * items.len();
    let body_len = 3 + table_len + encoded.len();
    let header = if body_len < 0x80 { 3 } else { 5 };
    assert!(
        header + body_len <= 0xFFFF,
        "a card file of {body_len} bytes"
    );
    let offsets: Vec<u8> = starts
        .iter()
        .flat_map(|s| ((header + 3 + table_len + s) as u16).to_be_bytes())
        .collect();
    let mut body = Vec::with_capacity(body_len);
    tlv(&[0xDF, 0x21], &offsets, &mut body);
    body.extend_from_slice(&encoded);
    let mut out = Vec::with_capacity(header + body_len);
    tlv(&outer, &body, &mut out);
    out
}

/// The values after `DF21` of a constructed file, in order.
fn items<'a>(
    file: &'a [u8],
    outer: [u8; 2],
    what: &'static str,
) -> Result<Vec<&'a [u8]>, FileError> {
    let (body, _filler) = expect(file, outer, what)?;
    let (_offsets, mut rest) = expect(body, [0xDF, 0x21], what)?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (_, v, r) = take(rest, what)?;
        out.push(v);
        rest = r;
    }
    Ok(out)
}

/// The My Number EF: 17 bytes, two filler bytes after the TLV of the 12 digits.
pub fn my_number_file(my_number: &str) -> Vec<u8> {
    assert_eq!(my_number.len(), 12, "a My Number has 12 digits");
    let mut v = Vec::with_capacity(17);
    tlv(&[0xFF, 0x10], my_number.as_bytes(), &mut v);
    v.resize(17, 0xFF);
    v
}

/// The My Number out of its EF.
pub fn parse_my_number(file: &[u8]) -> Result<String, FileError> {
    let (v, _) = expect(file, [0xFF, 0x10], "個人番号")?;
    text(v, "個人番号")
}

/// ISO 5218 sex code from the insurance records' 性別 (1 male, 2 female, 3 not set).
pub fn iso5218(sex: &str) -> &'static str {
    match sex {
        "1" => "1",
        "2" => "2",
        _ => "9",
    }
}

/// 基本4情報: what 券面入力補助AP gives after the PIN or 照合番号B.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Basic4 {
    pub name: String,
    pub address: String,
    /// yyyyMMdd
    pub birth: String,
    /// ISO 5218: 1, 2 or 9
    pub sex: String,
}

impl Basic4 {
    pub fn to_file(&self) -> Vec<u8> {
        with_offsets(
            [0xFF, 0x20],
            &[
                ([0xDF, 0x22], self.name.as_bytes()),
                ([0xDF, 0x23], self.address.as_bytes()),
                ([0xDF, 0x24], self.birth.as_bytes()),
                ([0xDF, 0x25], self.sex.as_bytes()),
            ],
        )
    }

    pub fn parse(file: &[u8]) -> Result<Self, FileError> {
        match items(file, [0xFF, 0x20], "基本4情報")?.as_slice() {
            [name, address, birth, sex] => Ok(Self {
                name: text(name, "氏名")?,
                address: text(address, "住所")?,
                birth: text(birth, "生年月日")?,
                sex: text(sex, "性別")?,
            }),
            _ => Err(FileError::Truncated("基本4情報")),
        }
    }
}

/// 券面AP EF `0002`: the card's face.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Face {
    /// yyyyMMdd
    pub birth: String,
    pub sex: String,
    /// `90 03 <exponent> 91 82 01 00 <modulus>`
    pub public_key: Vec<u8>,
    pub name_image: Vec<u8>,
    pub address_image: Vec<u8>,
    pub photo: Vec<u8>,
    /// RSA (PKCS#1 v1.5, SHA-256) over the three SHA-256 values of [`Face::signed_parts`].
    pub signature: Vec<u8>,
    /// 有効期限 yyyyMMdd
    pub expiry: String,
    pub security_code_image: Vec<u8>,
}

impl Face {
    const TAGS: [[u8; 2]; 9] = [
        [0xDF, 0x22],
        [0xDF, 0x23],
        [0xDF, 0x24],
        [0xDF, 0x25],
        [0xDF, 0x26],
        [0xDF, 0x27],
        [0xDF, 0x28],
        [0xDF, 0x29],
        [0xDF, 0x2A],
    ];

    fn values(&self) -> [&[u8]; 9] {
        [
            self.birth.as_bytes(),
            self.sex.as_bytes(),
            &self.public_key,
            &self.name_image,
            &self.address_image,
            &self.photo,
            &self.signature,
            self.expiry.as_bytes(),
            &self.security_code_image,
        ]
    }

    pub fn to_file(&self) -> Vec<u8> {
        let items: Vec<([u8; 2], &[u8])> = Self::TAGS.into_iter().zip(self.values()).collect();
        with_offsets([0xFF, 0x20], &items)
    }

    /// The three parts the signature covers, each as its TLVs: DF22–DF24, DF25–DF26, DF27.
    /// The signer signs SHA-256 of the three parts' SHA-256 values joined (96 bytes).
    pub fn signed_parts(&self) -> [Vec<u8>; 3] {
        let v = self.values();
        let part = |r: std::ops::Range<usize>| {
            let mut out = Vec::new();
            for i in r {
                tlv(&Self::TAGS[i], v[i], &mut out);
            }
            out
        };
        [part(0..3), part(3..5), part(5..6)]
    }

    pub fn parse(file: &[u8]) -> Result<Self, FileError> {
        let items = items(file, [0xFF, 0x20], "券面事項")?;
        let [birth, sex, key, name, address, photo, sig, expiry, code] = items.as_slice() else {
            return Err(FileError::Truncated("券面事項"));
        };
        Ok(Self {
            birth: text(birth, "生年月日")?,
            sex: text(sex, "性別")?,
            public_key: key.to_vec(),
            name_image: name.to_vec(),
            address_image: address.to_vec(),
            photo: photo.to_vec(),
            signature: sig.to_vec(),
            expiry: text(expiry, "有効期限")?,
            security_code_image: code.to_vec(),
        })
    }
}

/// 券面AP EF `0005`: the My Number as an image, its key and signature.
pub fn my_number_image_file(image: &[u8], key: &[u8], signature: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    tlv(&[0xDF, 0x41], image, &mut body);
    tlv(&[0xDF, 0x42], key, &mut body);
    tlv(&[0xDF, 0x43], signature, &mut body);
    let mut out = Vec::new();
    tlv(&[0xFF, 0x40], &body, &mut out);
    out
}

/// The image out of EF `0005`.
pub fn parse_my_number_image(file: &[u8]) -> Result<Vec<u8>, FileError> {
    let (body, _) = expect(file, [0xFF, 0x40], "個人番号画像")?;
    let (image, _) = expect(body, [0xDF, 0x41], "個人番号画像")?;
    Ok(image.to_vec())
}

/// An RSA public key as the card writes it: `90 03 <e> 91 82 01 00 <n>`.
pub fn public_key(exponent: &[u8], modulus: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    tlv(&[0x90], exponent, &mut v);
    tlv(&[0x91], modulus, &mut v);
    v
}

/// A Gregorian `yyyyMMdd` as the Japanese era's `YYMMDD` (the era itself is not written).
pub fn era_yymmdd(yyyymmdd: &str) -> Option<String> {
    if yyyymmdd.len() != 8 || !yyyymmdd.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let date: u32 = yyyymmdd.parse().ok()?;
    let year = date / 10_000;
    // first days of 令和, 平成, 昭和, 大正, 明治 and the year before each era's first year
    let era_start = [
        (20190501, 2018),
        (19890108, 1988),
        (19261225, 1925),
        (19120730, 1911),
        (18680125, 1867),
    ];
    let (_, base) = era_start.iter().find(|(start, _)| date >= *start)?;
    Some(format!("{:02}{}", (year - base) % 100, &yyyymmdd[4..]))
}

/// 照合番号B: the birth date's era `YYMMDD`, the expiry year `YYYY` and the 4-digit security
/// code printed on the card (`55021720352285` for 1980-02-17, 2035, 2285).
pub fn code_b(birth: &str, expiry: &str, security_code: &str) -> Option<String> {
    Some(format!(
        "{}{}{}",
        era_yymmdd(birth)?,
        expiry.get(..4)?,
        security_code
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic4_has_the_test_cards_layout() {
        // the J-LIS test card's header (myna-card's fixture): FF2065 DF2108 000E002000590064
        let b = Basic4 {
            name: "黒桐　幹也".into(),
            address: "東京都清瀬市観布子南１２－７－２０２".into(),
            birth: "19800217".into(),
            sex: "1".into(),
        };
        let f = b.to_file();
        assert_eq!(
            f[..14],
            [
                0xFF, 0x20, 0x65, 0xDF, 0x21, 0x08, 0x00, 0x0E, 0x00, 0x20, 0x00, 0x59, 0x00, 0x64
            ]
        );
        assert_eq!(f.len(), 0x68);
        assert_eq!(Basic4::parse(&f).unwrap(), b);
    }

    #[test]
    fn offsets_point_at_their_elements_in_long_files_too() {
        let b = Basic4 {
            name: "長".repeat(40),
            address: "住".repeat(60),
            birth: "20010101".into(),
            sex: "9".into(),
        };
        let f = b.to_file();
        assert_eq!(&f[..3], &[0xFF, 0x20, 0x82]);
        for (i, tag) in [0x22u8, 0x23, 0x24, 0x25].into_iter().enumerate() {
            let at = usize::from(u16::from_be_bytes([f[8 + 2 * i], f[9 + 2 * i]]));
            assert_eq!(&f[at..at + 2], &[0xDF, tag], "offset of DF{tag:02X}");
        }
        assert_eq!(Basic4::parse(&f).unwrap(), b);
    }

    #[test]
    fn my_number_file_is_17_bytes() {
        let f = my_number_file("123456789018");
        assert_eq!(f.len(), 17);
        assert_eq!(&f[..3], &[0xFF, 0x10, 0x0C]);
        assert_eq!(&f[15..], &[0xFF, 0xFF]);
        assert_eq!(parse_my_number(&f).unwrap(), "123456789018");
    }

    #[test]
    fn code_b_uses_the_era_year() {
        assert_eq!(
            code_b("19800217", "20350217", "2285").as_deref(),
            Some("55021720352285")
        );
        assert_eq!(era_yymmdd("19890107").as_deref(), Some("640107"));
        assert_eq!(era_yymmdd("19890108").as_deref(), Some("010108"));
        assert_eq!(era_yymmdd("20190501").as_deref(), Some("010501"));
        assert_eq!(era_yymmdd("20190430").as_deref(), Some("310430"));
        assert_eq!(era_yymmdd("1980-02-17"), None);
    }

    #[test]
    fn truncated_or_foreign_files_are_errors_not_panics() {
        let f = Basic4 {
            name: "a".into(),
            address: "b".into(),
            birth: "20000101".into(),
            sex: "1".into(),
        }
        .to_file();
        for n in 0..f.len() {
            assert!(Basic4::parse(&f[..n]).is_err(), "{n}");
        }
        assert!(matches!(
            Face::parse(&f),
            Err(FileError::Truncated(_) | FileError::Tag { .. })
        ));
    }
}
