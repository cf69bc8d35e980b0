//! タスクスケジューラ → タスクのインポート [000 op11, op12]: a task XML from a `tools` folder,
//! the user changed to `OqsComApp` (ユーザーまたはグループの変更 → 名前の確認) and its password
//! entered, so the task runs whether or not the user is logged on.

use oqs_host::windows::{Task, Trigger};
use oqs_host::{Host, WinPath};
use oqs_proto::task_xml::{TaskDefinition, TaskTrigger, TaskXmlError};
use std::io;

#[derive(Debug, thiserror::Error)]
pub enum TaskImportError {
    #[error("ファイル「{0}」が見つかりません。インストール先の tools フォルダを確認してください")]
    NoFile(String),
    #[error(transparent)]
    Xml(#[from] TaskXmlError),
    #[error(
        "名前 \"{0}\" が見つかりませんでした。ユーザー名（大文字・小文字を区別）を確認してください"
    )]
    NoUser(String),
    #[error(
        "ログオン失敗: ユーザー名を認識できないか、またはパスワードが間違っています。{0} のパスワードを入力してください"
    )]
    WrongPassword(String),
    #[error("端末の状態を読み書きできません: {0}")]
    Io(#[from] io::Error),
}

fn trigger(t: &TaskTrigger) -> Trigger {
    match t {
        TaskTrigger::Boot {
            delay_seconds,
            repeat_minutes: Some(m),
        } => Trigger::Repeat {
            delay_seconds: *delay_seconds,
            minutes: *m,
        },
        TaskTrigger::Boot {
            delay_seconds,
            repeat_minutes: None,
        } => Trigger::AtStartup {
            delay_seconds: *delay_seconds,
        },
        TaskTrigger::Daily { at } => Trigger::Daily { at: at.clone() },
    }
}

/// Imports the task file at `path` to run as `user` with `password`; replaces a task of the
/// same name.
pub fn import(
    host: &dyn Host,
    path: &str,
    user: &str,
    password: &str,
) -> Result<Task, TaskImportError> {
    let win = WinPath::parse(path).map_err(|_| TaskImportError::NoFile(path.into()))?;
    let bytes = host
        .files()
        .read_if_exists(&win)?
        .ok_or_else(|| TaskImportError::NoFile(path.into()))?;
    let file = path.rsplit('\\').next().unwrap_or(path);
    let def = TaskDefinition::parse(file, &bytes)?;
    let mut w = host.system().load()?;
    let u = w
        .user(user)
        .ok_or_else(|| TaskImportError::NoUser(user.into()))?;
    if u.password != password {
        return Err(TaskImportError::WrongPassword(user.into()));
    }
    let task = Task {
        name: def.name.clone(),
        command: if def.arguments.is_empty() {
            def.command.clone()
        } else {
            format!("{} {}", def.command, def.arguments)
        },
        run_as: user.into(),
        run_whether_logged_on: true,
        stored_password: Some(password.into()),
        highest_privileges: def.highest,
        triggers: def.triggers.iter().map(trigger).collect(),
        ac_only: def.no_battery,
        enabled: def.enabled,
    };
    w.tasks.retain(|t| t.name != task.name);
    w.tasks.push(task.clone());
    host.system().save(&w)?;
    Ok(task)
}

/// What an installer leaves in its `tools` folder: the kit's task XMLs (UTF-16).
pub fn write_installer_tasks(host: &dyn Host, tools_dir: &str) -> io::Result<Vec<String>> {
    let mut written = Vec::new();
    for (dir, def) in oqs_proto::task_xml::installer_tasks() {
        if !dir.eq_ignore_ascii_case(tools_dir) {
            continue;
        }
        let path = format!("{dir}\\{}.xml", def.name);
        let win = WinPath::parse(&path)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        host.files().write_file(&win, &def.to_utf16())?;
        written.push(path);
    }
    Ok(written)
}
