//! Formats of the online qualification terminal (オンライン資格確認), written once and shared by
//! the simulator and the components. Nothing here does I/O: every function takes its inputs
//! (including "now") as values, so the rules can be tested in memory.
//!
//! | module | what it holds |
//! |---|---|
//! | [`bypass`] | the proxy bypass list as WinINET reads it; direct or via the proxy for a host |
//! | [`distro`] | 配信アプリケーション: server choice, apps and versions, statuses, 配信実績, settings, API |
//! | [`institution`] | 医療機関コード (the 10-digit institution code) and institution kinds |
//! | [`account`] | account kinds and their ID rules (master `H`+7 digits, linkage `R0`/`R1`, face `F0`, …) |
//! | [`account_csv`] | アカウント一括登録用ファイル (Shift_JIS CSV) and its result file |
//! | [`password`] | the password policy of the manuals, with the manual's words in every violation |
//! | [`settings`] | 環境設定: character code and the service flags |
//! | [`qualification`] | qualification lookup by insurance data: search info and result |
//! | [`ntp`] | SNTP packets: the request of 今すぐ更新, the server's answer, offset and delay |
//! | [`reader`] | identity methods at card readers, face reader modes, `ReaderInfo.ini`, face result names; APDUs ([`reader::apdu`]), JPKI and 券面 files ([`reader::kenmen`]) |
//! | [`site`] | the site profile the setup tool applies, the manual's rules on it, `netsh` output |
//! | [`task_xml`] | Task Scheduler task files of the installers (UTF-16), parsed and written |
//! | [`version_info`] | `Version.info` of the linkage app, the distro app and the face library |
//! | [`api`] | the JSON bodies of the simulated qualification server's web API |
//! | [`linkage`] | the linkage interface: request and result XML, file names, encryption (WinZip AES), `UserDefinition.property` |
//! | [`profile`] | the kit's profile: the values the public sources leave open, as data |

pub mod account;
pub mod account_csv;
pub mod api;
pub mod bypass;
pub mod distro;
pub mod institution;
pub mod linkage;
pub mod ntp;
pub mod password;
pub mod profile;
pub mod qualification;
pub mod reader;
pub mod settings;
pub mod site;
pub mod task_xml;
pub mod version_info;
