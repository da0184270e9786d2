use std::path::{Path, PathBuf};

use serde_json::Value;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `*.json` file below `fixtures/<dir>`, sorted, as (relative name, text).
pub fn fixtures(dir: &str) -> Vec<(String, String)> {
    let base = root().join("fixtures").join(dir);
    let mut out = Vec::new();
    let mut stack = vec![base.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") && path.file_name().unwrap() != "manifest.json" {
                let name = path.strip_prefix(&base).unwrap().to_string_lossy().into_owned();
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no fixtures under {}", base.display());
    out
}

pub fn parse(name: &str, text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The CRM a valid fixture is for, from its folder.
pub fn crm_of(name: &str) -> callfull_model::Crm {
    match name.split('/').next() {
        Some("bitrix24") => callfull_model::Crm::Bitrix24,
        Some("amocrm") => callfull_model::Crm::AmoCrm,
        _ => panic!("{name}: fixtures/payloads/<crm>/…"),
    }
}
