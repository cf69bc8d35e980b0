//! The `@pcsc` scenarios' readers: a real pcscd with vsmartcard's vpcd driver, the virtual
//! card on the vpcd port, and the driver's `pcsc` backend on the other side. Built with the
//! `pcsc` feature; the runner leaves `@pcsc` scenarios out where pcscd cannot run.

use super::reader::{ReaderScene, Slot};
use crate::KitWorld;
use anyhow::{Result, bail};
use cucumber::given;
use oqs_driver::Driver;
use oqs_driver::pcsc::{Device, PcscReaders};
use oqs_host::Host;
use oqs_host::readers::{FaceMatch, ReaderKind, Readers};
use oqs_proto::profile::Profile;
use oqs_sim::reader::device::FaceCamera;
use oqs_sim::reader::pcscd::Pcscd;
use oqs_sim::reader::vpcd::{Inserted, Removal, SharedCard};
use oqs_sim::world::IssuedCard;
use std::sync::Arc;
use std::time::Duration;

pub struct PcscSlot {
    pcscd: Arc<Pcscd>,
    readers: Arc<PcscReaders>,
    slot: u8,
    name: String,
    inserted: Option<Inserted>,
    /// The camera of a face reader (the simulated device's; generic readers have one no driver
    /// asks).
    pub camera: Arc<FaceCamera>,
}

impl PcscSlot {
    /// The PC/SC reader name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connects the card to the vpcd port and waits until pcscd reports it present.
    pub async fn insert(&mut self, card: IssuedCard, pull_at: Option<usize>) -> Result<()> {
        if self.inserted.take().is_some() {
            // pcscd sees a removal only at vpcd's next 400 ms poll
            tokio::time::sleep(Duration::from_millis(1000)).await;
        }
        let removal = pull_at.map_or(Removal::OnRequest, Removal::DuringApdu);
        let shared: SharedCard = card;
        self.camera.place(Some(shared.clone()));
        self.inserted = Some(self.pcscd.insert(self.slot, shared, removal).await?);
        for _ in 0..50 {
            let (r, n) = (self.readers.clone(), self.name.clone());
            if tokio::task::spawn_blocking(move || r.connect(&n).is_ok()).await? {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("pcscd が 5 秒たってもカードを検出しません（{}）", self.name)
    }
}

#[given(
    regex = r"^汎用カードリーダー（シリアル番号「([^」]+)」）が PC/SC（pcscd と vpcd）で接続されている$"
)]
async fn pcsc_reader(w: &mut KitWorld, serial: String) -> Result<()> {
    let pcscd = tokio::task::spawn_blocking(|| Pcscd::start("oqs-kit Reader"))
        .await?
        .map_err(anyhow::Error::msg)?;
    let camera = Arc::new(|_: &str| FaceMatch::Matched);
    let name = pcscd.slot_name(0);
    let readers = Arc::new(PcscReaders::establish(
        vec![Device {
            reader_name: name.clone(),
            serial: serial.clone(),
            kind: ReaderKind::Generic,
        }],
        camera,
    )?);
    let host: Arc<dyn Host> = w.terminal()?.clone();
    let driver = Driver::new(host, readers.clone(), Profile::builtin().clone());
    let scene = w.reader.get_or_insert_with(ReaderScene::default);
    scene.driver = Some(Arc::new(driver));
    scene.generic = Some((
        serial,
        Slot::Pcsc(PcscSlot {
            pcscd: Arc::new(pcscd),
            readers,
            slot: 0,
            name,
            inserted: None,
            camera: Arc::default(),
        }),
    ));
    Ok(())
}

/// With a driver target, a reader is a slot of the scenario's one pcscd (generic readers slot
/// 0, face readers slot 1). The kit's own driver stays for the binding tools (ReaderInfo.ini),
/// seeing the same PC/SC readers.
pub async fn attach(w: &mut KitWorld, kind: ReaderKind, serial: String) -> Result<()> {
    let existing = w.reader.as_ref().and_then(|s| {
        [&s.face, &s.generic].into_iter().find_map(|r| match r {
            Some((_, Slot::Pcsc(p))) => Some(p.pcscd.clone()),
            _ => None,
        })
    });
    let pcscd = match existing {
        Some(p) => p,
        None => Arc::new(
            tokio::task::spawn_blocking(|| Pcscd::start("oqs-kit Reader"))
                .await?
                .map_err(anyhow::Error::msg)?,
        ),
    };
    let slot = match kind {
        ReaderKind::Generic => 0,
        ReaderKind::Face => 1,
    };
    let scene = w.reader.get_or_insert_with(ReaderScene::default);
    let mut devices = vec![Device {
        reader_name: pcscd.slot_name(slot),
        serial: serial.clone(),
        kind,
    }];
    let other = match kind {
        ReaderKind::Generic => (&scene.face, ReaderKind::Face, 1),
        ReaderKind::Face => (&scene.generic, ReaderKind::Generic, 0),
    };
    if let Some((s, _)) = other.0 {
        devices.push(Device {
            reader_name: pcscd.slot_name(other.2),
            serial: s.clone(),
            kind: other.1,
        });
    }
    // the face reader's camera: the simulated device decides when the driver asks
    let camera: Arc<FaceCamera> = match &scene.face {
        Some((_, Slot::Pcsc(p))) if kind == ReaderKind::Generic => p.camera.clone(),
        _ => Arc::default(),
    };
    let device = camera.clone();
    let readers = Arc::new(PcscReaders::establish(
        devices,
        Arc::new(move |_: &str| {
            device
                .decide()
                .map_or(FaceMatch::NotMatched, |d| d.face_match())
        }),
    )?);
    let host: Arc<dyn Host> = w.terminal()?.clone();
    let driver = Driver::new(host, readers.clone(), Profile::builtin().clone());
    let scene = w.reader.get_or_insert_with(ReaderScene::default);
    scene.driver = Some(Arc::new(driver));
    for (_, s) in [&mut scene.face, &mut scene.generic].into_iter().flatten() {
        if let Slot::Pcsc(p) = s {
            p.readers = readers.clone();
        }
    }
    let new = Some((
        serial,
        Slot::Pcsc(PcscSlot {
            pcscd: pcscd.clone(),
            readers,
            slot,
            name: pcscd.slot_name(slot),
            inserted: None,
            camera: match kind {
                ReaderKind::Face => camera,
                ReaderKind::Generic => Arc::default(),
            },
        }),
    ));
    match kind {
        ReaderKind::Generic => scene.generic = new,
        ReaderKind::Face => scene.face = new,
    }
    Ok(())
}
