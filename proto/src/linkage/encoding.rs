//! Text encodings of request and result files [INTERFACES §1 Encoding, C]: requests arrive in
//! UTF-8 or Shift_JIS as their XML declaration says; results leave in the site's 文字コード.
//! Both directions are strict: a byte sequence that is not valid in the declared encoding, or a
//! character Shift_JIS cannot hold, is an error that names the place — never a silent `?`.
//!
//! Shift_JIS here is Windows-31J (CP932), what Windows and `encoding_rs` mean by it. A few
//! characters have a JIS form and a CP932 form that look the same (〜 and ～, − and －, ¥ and
//! ￥…); they are mapped to the CP932 form before encoding, as Windows programs do.

use crate::settings::CharacterCode;
use encoding_rs::{EncoderResult, SHIFT_JIS, UTF_8};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    #[error(
        "XML宣言の encoding=\"{0}\" には対応していません。UTF-8 または Shift_JIS で作成してください"
    )]
    Unsupported(String),
    #[error(
        "{offset}バイト目以降が {} として読めません。XML宣言の encoding と実際の文字コードが一致しているか確認してください",
        .code.label()
    )]
    Malformed { code: CharacterCode, offset: usize },
    #[error(
        "項目「{field}」の文字「{ch}」(U+{:04X}) は Shift_JIS で表せません。環境設定の文字コードを UTF-8 にするか、この文字を使わないでください",
        *.ch as u32
    )]
    Unmappable { ch: char, field: String },
}

/// JIS-form characters and the CP932 form Windows uses for the same glyph.
const CP932_FORMS: &[(char, char)] = &[
    ('\u{301C}', '\u{FF5E}'), // 〜 WAVE DASH → ～
    ('\u{2016}', '\u{2225}'), // ‖ → ∥
    ('\u{2212}', '\u{FF0D}'), // − MINUS SIGN → －
    ('\u{00A2}', '\u{FFE0}'), // ¢ → ￠
    ('\u{00A3}', '\u{FFE1}'), // £ → ￡
    ('\u{00AC}', '\u{FFE2}'), // ¬ → ￢
    ('\u{00A5}', '\u{FFE5}'), // ¥ → ￥ (else it would become a backslash)
];

/// The CP932 form of `s` (see the module docs).
pub fn to_cp932_forms(s: &str) -> String {
    s.chars()
        .map(|c| {
            CP932_FORMS
                .iter()
                .find(|(j, _)| *j == c)
                .map_or(c, |(_, w)| *w)
        })
        .collect()
}

/// The encoding an XML document declares (`<?xml … encoding="Shift_JIS"?>`); UTF-8 when it
/// declares none, as XML says.
pub fn declared(bytes: &[u8]) -> Result<CharacterCode, EncodingError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(EncodingError::Unsupported("UTF-16".into()));
    }
    let Some(decl) = bytes.strip_prefix(b"<?xml") else {
        return Ok(CharacterCode::Utf8);
    };
    let end = decl
        .windows(2)
        .position(|w| w == b"?>")
        .unwrap_or(decl.len().min(200));
    let decl = String::from_utf8_lossy(&decl[..end]);
    let Some(at) = decl.find("encoding") else {
        return Ok(CharacterCode::Utf8);
    };
    let rest = decl[at + 8..]
        .trim_start()
        .trim_start_matches('=')
        .trim_start();
    let quote = rest.chars().next().unwrap_or('"');
    let label: String = rest.chars().skip(1).take_while(|c| *c != quote).collect();
    label_to_code(&label).ok_or(EncodingError::Unsupported(label))
}

fn label_to_code(label: &str) -> Option<CharacterCode> {
    let l = label.trim().to_ascii_lowercase();
    // encoding_rs does not know Microsoft's own names for CP932.
    if matches!(l.as_str(), "cp932" | "ms932" | "windows-932") {
        return Some(CharacterCode::ShiftJis);
    }
    match encoding_rs::Encoding::for_label(l.as_bytes()) {
        Some(e) if e == UTF_8 => Some(CharacterCode::Utf8),
        Some(e) if e == SHIFT_JIS => Some(CharacterCode::ShiftJis),
        _ => None,
    }
}

/// Decodes strictly: the first byte that is not valid in `code` is an error with its offset.
pub fn decode(bytes: &[u8], code: CharacterCode) -> Result<String, EncodingError> {
    let (enc, bytes) = match code {
        CharacterCode::Utf8 => (UTF_8, bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)),
        CharacterCode::ShiftJis => (SHIFT_JIS, bytes),
    };
    if let Some(s) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok(s.into_owned());
    }
    // Find where it breaks, for the message.
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    let offset = match result {
        encoding_rs::DecoderResult::Malformed(bad, after) => {
            read.saturating_sub(bad as usize + after as usize)
        }
        _ => read,
    };
    Err(EncodingError::Malformed { code, offset })
}

/// Encodes `text` (the whole document) strictly. For Shift_JIS an unmappable character is an
/// error naming it and the XML element it stands in.
pub fn encode(text: &str, code: CharacterCode) -> Result<Vec<u8>, EncodingError> {
    match code {
        CharacterCode::Utf8 => Ok(text.as_bytes().to_vec()),
        CharacterCode::ShiftJis => {
            let text = to_cp932_forms(text);
            let mut encoder = SHIFT_JIS.new_encoder();
            let mut out = Vec::with_capacity(text.len());
            let mut pos = 0;
            loop {
                out.reserve(
                    encoder
                        .max_buffer_length_from_utf8_without_replacement(text.len() - pos)
                        .unwrap_or(text.len() * 2),
                );
                let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(
                    &text[pos..],
                    &mut out,
                    true,
                );
                pos += read;
                match result {
                    EncoderResult::InputEmpty => break,
                    EncoderResult::OutputFull => continue,
                    EncoderResult::Unmappable(ch) => {
                        let at = pos - ch.len_utf8();
                        let (at, ch) = first_lossy(&text[..at], &out).unwrap_or((at, ch));
                        return Err(EncodingError::Unmappable {
                            ch,
                            field: enclosing_element(&text, at),
                        });
                    }
                }
            }
            // Some characters encode without complaint but do not come back (lossy mappings):
            // they are as unrepresentable as the ones the encoder refuses.
            if let Some((at, ch)) = first_lossy(&text, &out) {
                return Err(EncodingError::Unmappable {
                    ch,
                    field: enclosing_element(&text, at),
                });
            }
            Ok(out)
        }
    }
}

/// The first character of `text` that does not come back from its Shift_JIS bytes `encoded`.
fn first_lossy(text: &str, encoded: &[u8]) -> Option<(usize, char)> {
    let (back, _, _) = SHIFT_JIS.decode(encoded);
    if back == text {
        return None;
    }
    text.char_indices()
        .zip(back.chars())
        .find(|((_, a), b)| a != b)
        .map(|(x, _)| x)
}

/// Whether `s` survives a Shift_JIS round trip (after the CP932 forms).
pub fn fits_shift_jis(s: &str) -> bool {
    encode(s, CharacterCode::ShiftJis).is_ok()
}

/// The name of the innermost element open at byte `at` of an XML text ("" outside any).
fn enclosing_element(xml: &str, at: usize) -> String {
    let head = &xml[..at.min(xml.len())];
    let mut depth = 0usize;
    let mut rest = head;
    while let Some(lt) = rest.rfind('<') {
        let tag = &head[lt..];
        let tag = &tag[..tag.find('>').map_or(tag.len(), |e| e + 1)];
        rest = &head[..lt];
        let name: String = tag[1..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        if tag.starts_with("</") {
            depth += 1;
        } else if tag.starts_with("<?") || tag.starts_with("<!") || tag.contains("/>") {
            continue;
        } else if depth == 0 {
            return name;
        } else {
            depth -= 1;
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn declaration_decides_the_encoding() {
        let sj = br#"<?xml version="1.0" encoding="Shift_JIS"?><a/>"#;
        assert_eq!(declared(sj).unwrap(), CharacterCode::ShiftJis);
        let cp = br#"<?xml version='1.0' encoding='windows-31j' standalone="yes"?>"#;
        assert_eq!(declared(cp).unwrap(), CharacterCode::ShiftJis);
        assert_eq!(
            declared(b"<?xml version=\"1.0\"?><a/>").unwrap(),
            CharacterCode::Utf8
        );
        assert_eq!(declared(b"<a/>").unwrap(), CharacterCode::Utf8);
        let e = declared(br#"<?xml version="1.0" encoding="EUC-JP"?>"#).unwrap_err();
        assert!(e.to_string().contains("EUC-JP"), "{e}");
    }

    #[test]
    fn wrong_bytes_for_the_declared_encoding_name_the_offset() {
        let (sjis, _, _) = SHIFT_JIS.encode("<a>山田</a>");
        let e = decode(&sjis, CharacterCode::Utf8).unwrap_err();
        assert_eq!(
            e,
            EncodingError::Malformed {
                code: CharacterCode::Utf8,
                offset: 3
            }
        );
        assert!(e.to_string().contains("3バイト目"), "{e}");
    }

    #[test]
    fn unmappable_character_names_character_and_field() {
        let e = encode("<R><Name>𠮷田　太郎</Name></R>", CharacterCode::ShiftJis).unwrap_err();
        assert_eq!(
            e,
            EncodingError::Unmappable {
                ch: '𠮷',
                field: "Name".into()
            }
        );
        assert!(
            e.to_string().contains("「Name」の文字「𠮷」(U+20BB7)"),
            "{e}"
        );
        // nested: the innermost open element
        let e = encode("<R><A>x</A><B><C/>😀</B></R>", CharacterCode::ShiftJis).unwrap_err();
        assert_eq!(
            e,
            EncodingError::Unmappable {
                ch: '😀',
                field: "B".into()
            }
        );
    }

    #[test]
    fn jis_forms_become_cp932_forms() {
        let b = encode("〜−¥", CharacterCode::ShiftJis).unwrap();
        assert_eq!(decode(&b, CharacterCode::ShiftJis).unwrap(), "～－￥");
        for s in ["髙橋", "山﨑", "①Ⅱ㈱", "ﾔﾏﾀﾞ ﾀﾛｳ"] {
            let b = encode(s, CharacterCode::ShiftJis).unwrap();
            assert_eq!(decode(&b, CharacterCode::ShiftJis).unwrap(), s);
        }
    }

    fn any_char() -> impl Strategy<Value = char> {
        prop_oneof![
            proptest::char::range('\u{20}', '\u{7E}'),
            proptest::char::range('\u{3000}', '\u{30FF}'),
            proptest::char::range('\u{4E00}', '\u{9FFF}'),
            proptest::char::range('\u{FF01}', '\u{FF9F}'),
            proptest::char::any(),
        ]
    }

    proptest! {
        #[test]
        fn utf8_round_trips_everything(s in "\\PC*") {
            let b = encode(&s, CharacterCode::Utf8).unwrap();
            prop_assert_eq!(decode(&b, CharacterCode::Utf8).unwrap(), s);
        }

        #[test]
        fn shift_jis_round_trips_or_names_the_character(
            chars in proptest::collection::vec(any_char(), 0..40)
        ) {
            let s: String = chars.into_iter().collect();
            let wanted = to_cp932_forms(&s);
            match encode(&s, CharacterCode::ShiftJis) {
                Ok(b) => prop_assert_eq!(decode(&b, CharacterCode::ShiftJis).unwrap(), wanted),
                Err(EncodingError::Unmappable { ch, .. }) => {
                    // the named character really is the first one that cannot be held
                    let first_bad = wanted.chars().find(|c| {
                        let one = c.to_string();
                        let (b, _, bad) = SHIFT_JIS.encode(&one);
                        bad || SHIFT_JIS.decode(&b).0 != one
                    });
                    prop_assert_eq!(Some(ch), first_bad);
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }
    }
}
