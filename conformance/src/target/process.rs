//! How the kit runs a target's programs: each in a process group of its own (so a crash, a
//! time limit or the end of a scenario kills a wrapper and everything it started, not just
//! the wrapper), without `OQS_*` variables inherited from the kit's own environment (the kit
//! sets the ones it means), and with output read line by line whatever its encoding.

use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// A command for `argv`, in a new process group, killed with its group when dropped.
pub fn command(argv: &[String]) -> anyhow::Result<tokio::process::Command> {
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("command が空です"))?;
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args)
        .process_group(0)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("OQS_") {
            cmd.env_remove(k);
        }
    }
    Ok(cmd)
}

/// Kills the process group a child leads (the child and everything it started).
pub fn kill_group(child: &tokio::process::Child) {
    if let Some(pid) = child.id() {
        // SAFETY: signalling a process group we created (`process_group(0)`: its id is the
        // child's pid); a group already gone only makes kill(2) fail.
        unsafe {
            libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
        }
    }
}

/// Kills the group when dropped (a scenario's end, or a step that gave up).
pub struct Group(Option<u32>);

impl Group {
    pub fn of(child: &tokio::process::Child) -> Self {
        Self(child.id())
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            // SAFETY: as in `kill_group`.
            unsafe {
                libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
            }
        }
    }
}

/// Runs a command to its end and takes its output; a time limit, or the caller giving up,
/// kills it with its process group. `None`: the limit struck.
pub async fn output(
    mut cmd: tokio::process::Command,
    limit: std::time::Duration,
) -> std::io::Result<Option<std::process::Output>> {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let _group = Group::of(&child);
    match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(out) => out.map(Some),
        Err(_) => Ok(None),
    }
}

/// Calls `each` with every line `r` gives until it ends. Bytes that are not UTF-8 (a log in
/// cp932, say) are replaced, not a reason to stop reading: a pipe nobody drains would block
/// the program.
pub async fn each_line(r: impl AsyncRead + Unpin, mut each: impl FnMut(String)) {
    let mut r = BufReader::new(r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                each(line.trim_end_matches(['\n', '\r']).to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_in_any_encoding_are_all_read() {
        let input: &[u8] = b"OQS-KIT ready\r\n\x82\xa0 sjis\nlast";
        let mut got = Vec::new();
        each_line(input, |l| got.push(l)).await;
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], "OQS-KIT ready");
        assert!(got[1].ends_with(" sjis"));
        assert_eq!(got[2], "last");
    }

    #[tokio::test]
    async fn a_wrapper_and_what_it_started_die_together() {
        // the wrapper starts a child that would outlive it, and prints the child's pid
        let argv: Vec<String> = ["sh", "-c", "sleep 30 & echo $!; wait"]
            .map(String::from)
            .to_vec();
        let mut child = command(&argv)
            .unwrap()
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = Vec::new();
        let stdout = child.stdout.take().unwrap();
        let mut r = BufReader::new(stdout);
        r.read_until(b'\n', &mut out).await.unwrap();
        let grandchild: i32 = String::from_utf8_lossy(&out).trim().parse().unwrap();
        kill_group(&child);
        child.wait().await.unwrap();
        // dead: gone, or a zombie nobody reaped yet (a container's pid 1 may never reap it)
        let running = |pid: i32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
                .unwrap_or(false)
        };
        let mut alive = true;
        for _ in 0..100 {
            alive = running(grandchild);
            if !alive {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(!alive, "the wrapper's child {grandchild} outlived it");
    }
}
