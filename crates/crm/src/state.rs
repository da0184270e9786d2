//! `--state FILE`: a CRM's records kept across restarts. Each write is saved
//! before it is answered, atomically, so a `kill -9` loses no write that was
//! answered with success.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The file the amoCRM account keeps its records in, next to the Bitrix24
/// portal's `path`: `state.json` → `state.json.amocrm`.
pub fn amocrm_file(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".amocrm");
    PathBuf::from(name)
}

/// Writes `records` to `path` so that a crash at any moment leaves the old or the new
/// file whole: a temporary file, flushed to disk, renamed over the old one.
pub fn save<T: Serialize>(path: &Path, records: &T) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(&serde_json::to_vec(records)?)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Reads the records saved by [`save`].
pub fn load<T: DeserializeOwned>(path: &Path) -> std::io::Result<T> {
    let bytes = std::fs::read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: not a callfull state file: {e}", path.display()),
        )
    })
}
