//! 『オンライン資格確認等システムユーザ設定情報』: the PDF the portal offers after a password is
//! issued (マスタアカウントのパスワード初期化, アカウント管理(登録)) [001 supplement 1-① ⑨,
//! 2-② ③]. Its items are the sample sheet's: 利用環境, 医療機関コード, 医療機関等名, ユーザID,
//! ユーザ名, パスワード, パスワード有効期限 and, for the master account, リセット用ユーザID.
//!
//! The text is set in Adobe-Japan1 (UniJIS-UTF16-H, the font not embedded: a viewer uses its own
//! Mincho) with a ToUnicode map, so text tools (pdftotext) read it back as Unicode.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

/// One line of the sheet: an item and its value (an empty item is a line of text).
pub type Line = (String, String);

const FONT: Name = Name(b"KozMinPr6N-Regular");

fn japan1() -> SystemInfo<'static> {
    SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Japan1"),
        supplement: 6,
    }
}

/// UTF-16BE, the codes of UniJIS-UTF16-H.
fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// Where each text goes on the A4 page: `(x, y, size, text)`.
fn layout(title: &str, lines: &[Line], notes: &[&str]) -> Vec<(f32, f32, f32, String)> {
    let mut texts = vec![(60.0, 770.0, 16.0, title.to_owned())];
    let mut y = 720.0;
    for (item, value) in lines {
        if item.is_empty() {
            texts.push((60.0, y, 11.0, value.clone()));
        } else {
            texts.push((60.0, y, 11.0, item.clone()));
            texts.push((230.0, y, 11.0, value.clone()));
        }
        y -= 24.0;
    }
    y -= 12.0;
    for n in notes {
        texts.push((60.0, y, 9.0, (*n).to_owned()));
        y -= 18.0;
    }
    texts
}

/// The sheet as PDF bytes: `title`, then `lines` as a two-column table, then `notes`.
pub fn render(title: &str, lines: &[Line], notes: &[&str]) -> Vec<u8> {
    let (catalog, tree, page, font, cid, descriptor, to_unicode, content) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
        Ref::new(7),
        Ref::new(8),
    );
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .parent(tree)
        .contents(content);
    p.resources().fonts().pair(Name(b"F1"), font);
    p.finish();
    pdf.type0_font(font)
        .base_font(FONT)
        .encoding_predefined(Name(b"UniJIS-UTF16-H"))
        .descendant_font(cid)
        .to_unicode(to_unicode);
    pdf.cid_font(cid)
        .subtype(CidFontType::Type0)
        .base_font(FONT)
        .system_info(japan1())
        .font_descriptor(descriptor)
        .default_width(1000.0);
    pdf.font_descriptor(descriptor)
        .name(FONT)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(-100.0, -150.0, 1100.0, 900.0))
        .italic_angle(0.0)
        .ascent(880.0)
        .descent(-120.0)
        .cap_height(740.0)
        .stem_v(80.0);

    let texts = layout(title, lines, notes);

    let mut cmap = UnicodeCmap::new(Name(b"OqsKit-UTF16"), japan1());
    let mut mapped = std::collections::BTreeSet::new();
    let mut c = Content::new();
    for (x, y, size, text) in &texts {
        for ch in text.chars() {
            // BMP only: what the manuals' words and the IDs need
            if let Ok(code) = u16::try_from(u32::from(ch))
                && mapped.insert(code)
            {
                cmap.pair(code, ch);
            }
        }
        c.begin_text();
        c.set_font(Name(b"F1"), *size);
        c.next_line(*x, *y);
        c.show(Str(&utf16be(text)));
        c.end_text();
    }
    let cmap = cmap.finish();
    pdf.cmap(to_unicode, &cmap);
    let content_bytes = c.finish();
    pdf.stream(content, &content_bytes);
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sheet_is_a_pdf_whose_text_a_text_tool_reads_back() {
        let pdf = render(
            "オンライン資格確認等システムユーザ設定情報",
            &[
                ("ユーザID".into(), "H0123456".into()),
                ("パスワード".into(), "aB3#xY7$kM2%".into()),
            ],
            &["※ 重要な情報が記載されていますので、取扱いに注意し大切に保管願います。"],
        );
        assert!(pdf.starts_with(b"%PDF-"));
        // pdftotext (poppler) reads it as a person's PDF viewer would
        let spawned = std::process::Command::new("pdftotext")
            .args(["-", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn();
        let Ok(mut child) = spawned else {
            oqs_testkit::missing_tool("pdftotext", "apt-get install poppler-utils poppler-data");
            return;
        };
        {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(&pdf)
                .expect("write");
        }
        let out = child.wait_with_output().expect("pdftotext");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("ユーザ設定情報"), "{text}");
        assert!(text.contains("aB3#xY7$kM2%"), "{text}");
        assert!(text.contains("H0123456"), "{text}");
    }
}
