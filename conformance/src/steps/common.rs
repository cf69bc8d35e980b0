//! Steps every feature shares: the World's services, the terminal, what the screen shows.

use crate::KitWorld;
use anyhow::{Result, ensure};
use cucumber::{given, then, when};

#[given(regex = r"^オンライン資格確認等システムが稼働している$")]
async fn qualification_running(w: &mut KitWorld) -> Result<()> {
    // reached through the fault relay (clean until a step switches a fault on), so every
    // connection a component opens can meet the faults of `steps::faults`
    w.sim().qualification_relay().await?;
    Ok(())
}

#[given(regex = r"^資格確認端末「([^」]+)」がある$")]
#[when(regex = r"^資格確認端末「([^」]+)」がある$")]
async fn terminal_exists(w: &mut KitWorld, name: String) -> Result<()> {
    w.open_terminal(&name)
}

/// Observes: simulator — the kit's w.screen string (whatever the last step put there)
#[then(regex = r"^「(.+)」(?:と|が)表示される$")]
async fn screen_shows(w: &mut KitWorld, text: String) -> Result<()> {
    ensure!(
        w.screen.contains(&text),
        "画面に「{text}」がありません。画面:\n{}",
        w.screen
    );
    Ok(())
}

/// Observes: simulator — the kit's w.screen string (a command's printed output), compared
/// without whitespace: the seeds' screenshots of the same output disagree on its spacing
#[then(regex = r"^「(.+)」と表示される（空白の幅は問わない）$")]
async fn screen_shows_words(w: &mut KitWorld, text: String) -> Result<()> {
    let squeeze = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).collect() };
    ensure!(
        squeeze(&w.screen).contains(&squeeze(&text)),
        "画面に「{text}」がありません（空白は無視）。画面:\n{}",
        w.screen
    );
    Ok(())
}
