//! Terminals set up in one call, for tools and benchmarks that need a working terminal rather
//! than a scenario of how it was set up: the client certificate installed (operation 6), a
//! linkage account registered with its own password (operation 8), and the Credential Manager
//! entries of operation 12.

use crate::World;
use crate::windows::{FakeTerminal, ImportOptions};
use oqs_certs::{ClientSpec, Pki};
use oqs_host::credentials::{CredentialManager, GenericCredential};
use oqs_host::dir::{StaticNames, TerminalDir, write_atomic};
use oqs_proto::account::AccountKind;
use oqs_proto::institution::InstitutionCode;
use oqs_proto::linkage::config::{
    OQS_ADMIN, OQS_CRYPT_PASS, OQS_LOGIN_KEY, OQS_MEDICAL_INSTITUTION_CODE,
};
use std::io;

/// The linkage account of a provisioned terminal (clinic form, as in the succession manual).
pub const LINKAGE_USER: &str = "R0RENK01";
/// Its password: 13+ characters, so it would not expire even for a person's account.
pub const LINKAGE_PASSWORD: &str = "Renkei#Kit2025a";

/// What to set up.
#[derive(Clone, Debug)]
pub struct LinkageTerminal {
    pub name: String,
    pub code: InstitutionCode,
    /// `OQS_CRYPT_PASS`, if any.
    pub crypt_pass: Option<String>,
}

impl LinkageTerminal {
    pub fn new(name: &str, code: &InstitutionCode) -> Self {
        Self {
            name: name.into(),
            code: code.clone(),
            crypt_pass: None,
        }
    }
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Starts the qualification server if needed and returns the terminal, ready for the linkage
/// app: certificate in 個人, `R0RENK01` registered, credentials stored, and the World's name
/// table written to the terminal (for an app started as a process).
pub async fn linkage_terminal(world: &World, spec: &LinkageTerminal) -> io::Result<FakeTerminal> {
    world.qualification().await?;
    let t = world.terminal(&spec.name)?;
    let p12 = Pki::shared()
        .client(&ClientSpec::new(spec.code.as_str(), &spec.name))
        .to_pkcs12("1357");
    t.import_pfx(&p12, "1357", ImportOptions::default(), |_| true)
        .map_err(other)?;
    let now = oqs_host::Clock::now(world.clock());
    world
        .registry()
        .provision_account(
            &spec.code,
            AccountKind::Linkage,
            LINKAGE_USER,
            LINKAGE_PASSWORD,
            now,
        )
        .map_err(other)?;
    t.write_generic(GenericCredential {
        target: OQS_LOGIN_KEY.into(),
        user: LINKAGE_USER.into(),
        password: LINKAGE_PASSWORD.into(),
    })?;
    t.write_generic(GenericCredential {
        target: OQS_MEDICAL_INSTITUTION_CODE.into(),
        user: OQS_ADMIN.into(),
        password: spec.code.to_string(),
    })?;
    if let Some(p) = &spec.crypt_pass {
        t.write_generic(GenericCredential {
            target: OQS_CRYPT_PASS.into(),
            user: OQS_ADMIN.into(),
            password: p.clone(),
        })?;
    }
    write_names(world, &t)?;
    Ok(t)
}

/// Writes the World's current name table into the terminal directory (`state/names`), where a
/// component started as its own process finds it.
pub fn write_names(world: &World, t: &FakeTerminal) -> io::Result<()> {
    write_atomic(
        &TerminalDir::names_file(t.root()),
        StaticNames::render(&world.names().entries()).as_bytes(),
    )
}

/// The face account a provisioned reader terminal binds its face readers to.
pub const FACE_USER: &str = "F0FACE01";
pub const FACE_PASSWORD: &str = "Kao#Ninsho2025a";
/// A general user (一般利用者) who runs generic-reader checks from the browser.
pub const OPERATOR_USER: &str = "uketsuke01";
pub const OPERATOR_PASSWORD: &str = "Uketsuke#2025ab";

/// [`linkage_terminal`], plus the face account `F0FACE01` and the general user `uketsuke01`
/// registered on the server: what the reader scenarios and tools start from.
pub async fn reader_terminal(world: &World, spec: &LinkageTerminal) -> io::Result<FakeTerminal> {
    let t = linkage_terminal(world, spec).await?;
    let now = oqs_host::Clock::now(world.clock());
    let mut reg = world.registry();
    reg.provision_account(&spec.code, AccountKind::Face, FACE_USER, FACE_PASSWORD, now)
        .map_err(other)?;
    reg.provision_account(
        &spec.code,
        AccountKind::General,
        OPERATOR_USER,
        OPERATOR_PASSWORD,
        now,
    )
    .map_err(other)?;
    Ok(t)
}
