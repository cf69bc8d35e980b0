//! `Version.info`: the installed version of an app, in `C:\Program Files\OQS\OQSComApp\`,
//! `…\OQS\OQSDistroApp\` and `C:\Program Files\OQS-Auth\` [INTERFACES §4]. The layout is not
//! public; the kit's (\[K\]) is one `Version=<x.y.z>` line (CRLF), other lines ignored.

/// Where each app keeps its `Version.info`.
pub const LINKAGE_APP: &str = r"C:\Program Files\OQS\OQSComApp\Version.info";
pub const DISTRO_APP: &str = r"C:\Program Files\OQS\OQSDistroApp\Version.info";
pub const FACE_LIBRARY: &str = r"C:\Program Files\OQS-Auth\Version.info";

pub fn render(version: &str) -> Vec<u8> {
    format!("Version={version}\r\n").into_bytes()
}

/// The version a file states; `None` when it states none.
pub fn parse(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Version="))
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_ignores_other_lines() {
        assert_eq!(parse(&render("2.2.0")).as_deref(), Some("2.2.0"));
        assert_eq!(
            parse(b"; note\r\nVersion= 1.0.4 \r\n").as_deref(),
            Some("1.0.4")
        );
        assert_eq!(parse(b"Version=\r\n"), None);
    }
}
