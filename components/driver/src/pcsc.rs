//! Readers through the real PC/SC stack (pcscd on Linux, WinSCard on Windows) with the `pcsc`
//! crate. PC/SC knows reader names only, so which name is which device (serial, face or
//! generic) comes from the caller, as a vendor's device list would give it; a face reader's
//! camera verdict comes from a callback, since PC/SC has no camera.

use oqs_host::readers::{CardChannel, FaceMatch, ReaderEntry, ReaderError, ReaderKind, Readers};
use std::ffi::CString;
use std::sync::Arc;

/// A known device: the PC/SC reader name it appears under, its serial and kind.
#[derive(Clone, Debug)]
pub struct Device {
    pub reader_name: String,
    pub serial: String,
    pub kind: ReaderKind,
}

pub type Camera = Arc<dyn Fn(&str) -> FaceMatch + Send + Sync>;

pub struct PcscReaders {
    ctx: pcsc::Context,
    devices: Vec<Device>,
    camera: Camera,
}

fn err(e: pcsc::Error) -> ReaderError {
    match e {
        pcsc::Error::NoSmartcard => ReaderError::NoCard,
        pcsc::Error::RemovedCard | pcsc::Error::ResetCard => ReaderError::Removed,
        pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable => {
            ReaderError::NoReader(e.to_string())
        }
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => ReaderError::Transport(format!(
            "{e}。PC/SC サービス（pcscd / Smart Card）が動いているか確認してください"
        )),
        other => ReaderError::Transport(other.to_string()),
    }
}

impl PcscReaders {
    /// Connects to the PC/SC resource manager.
    pub fn establish(devices: Vec<Device>, camera: Camera) -> Result<Self, ReaderError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(err)?;
        Ok(Self {
            ctx,
            devices,
            camera,
        })
    }

    fn names(&self) -> Vec<String> {
        self.ctx
            .list_readers_owned()
            .map(|v| {
                v.into_iter()
                    .map(|c| c.to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

struct PcscChannel {
    card: pcsc::Card,
    atr: Vec<u8>,
}

impl CardChannel for PcscChannel {
    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, ReaderError> {
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        let resp = self.card.transmit(apdu, &mut buf).map_err(err)?;
        if resp.len() < 2 {
            // vpcd answers an empty response when the card went away during the command;
            // a card never answers without a status word
            return Err(match self.card.status2_owned() {
                Err(e) => err(e),
                Ok(_) => ReaderError::Removed,
            });
        }
        Ok(resp.to_vec())
    }
}

impl Readers for PcscReaders {
    fn list(&self) -> Vec<ReaderEntry> {
        self.names()
            .into_iter()
            .map(
                |name| match self.devices.iter().find(|d| d.reader_name == name) {
                    Some(d) => ReaderEntry {
                        name,
                        serial: d.serial.clone(),
                        kind: d.kind,
                    },
                    None => ReaderEntry {
                        serial: name.clone(),
                        name,
                        kind: ReaderKind::Generic,
                    },
                },
            )
            .collect()
    }

    fn connect(&self, name: &str) -> Result<Box<dyn CardChannel>, ReaderError> {
        let c = CString::new(name).map_err(|_| ReaderError::NoReader(name.into()))?;
        let card = self
            .ctx
            .connect(&c, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
            .map_err(|e| match e {
                pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable => {
                    ReaderError::NoReader(name.into())
                }
                e => err(e),
            })?;
        // vpcd does not answer the ATR attribute; status carries it (TOOLCHAIN.md §1)
        let atr = card
            .status2_owned()
            .map(|s| s.atr().to_vec())
            .map_err(err)?;
        Ok(Box::new(PcscChannel { card, atr }))
    }

    fn face_match(&self, name: &str) -> Result<FaceMatch, ReaderError> {
        match self.list().into_iter().find(|r| r.name == name) {
            Some(r) if r.kind == ReaderKind::Face => Ok((self.camera)(&r.serial)),
            Some(_) => Err(ReaderError::Transport(format!(
                "「{name}」は汎用カードリーダーです。顔認証はできません"
            ))),
            None => Err(ReaderError::NoReader(name.into())),
        }
    }
}
