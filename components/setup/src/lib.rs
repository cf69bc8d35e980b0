//! The kit's setup tool: operations 1–12 of the setup manual applied to a terminal from a site
//! profile ([`apply`](mod@apply)), and a terminal checked against the manual ([`audit`](mod@audit)).
//!
//! | module | what it does |
//! |---|---|
//! | [`apply`](mod@apply) | profile → the terminal's Windows state, files, shares, tasks, credentials |
//! | [`tasks`] | タスクのインポート of the installers' task XMLs as OqsComApp |
//! | [`succession`] | 医療機関コードの変更 on the terminal: old certificate, readers, new certificate, code |
//! | [`audit`](mod@audit) | the checklist: one ✓/✗ line per item with the manual's reference and remedy |

pub mod apply;
pub mod audit;
pub mod succession;
pub mod tasks;

pub use apply::{ApplyError, apply};
pub use audit::{Line, audit, audit_site};
