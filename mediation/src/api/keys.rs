//! REST API keys: made by the server, shown once, stored as SHA-256 hashes (a key is 256
//! random bits, so a fast hash is enough; passwords get argon2id), expirable and revocable.
//! Accepted only in a header (`Authorization: Bearer ...` or `X-API-Key`), never in a URL.
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyEntry {
    /// Public identifier (the key's prefix), safe to log.
    pub id: String,
    pub name: String,
    /// Hex SHA-256 of the secret part.
    pub sha256: String,
    /// Seconds since the epoch.
    pub created: u64,
    pub expires: Option<u64>,
    /// The user whose permissions the key carries (keys made before users existed act as
    /// the built-in admin).
    #[serde(default)]
    pub owner: Option<String>,
}

impl KeyEntry {
    pub fn owner(&self) -> &str {
        self.owner.as_deref().unwrap_or(crate::auth::users::ADMIN)
    }

    /// What the API shows (no hash).
    pub fn view(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "owner": self.owner(),
            "created": self.created,
            "expires": self.expires,
        })
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<KeyEntry>,
}

/// The key store, a JSON file in the data directory (mode 0600).
#[derive(Debug, Clone)]
pub struct ApiKeys {
    path: PathBuf,
    keys: Vec<KeyEntry>,
    /// The file's modification time and size when read or written.
    stamp: Option<(std::time::SystemTime, u64)>,
}

fn file_stamp(path: &Path) -> Option<(std::time::SystemTime, u64)> {
    std::fs::metadata(path)
        .ok()
        .and_then(|m| Some((m.modified().ok()?, m.len())))
}

fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    Ok(hex::encode(b))
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time equality of two equal-length hex digests.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl ApiKeys {
    pub fn load(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join("api_keys.json");
        let keys = match std::fs::read(&path) {
            Ok(b) => {
                serde_json::from_slice::<KeyFile>(&b)
                    .with_context(|| format!("{} is not a valid key file", path.display()))?
                    .keys
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let stamp = file_stamp(&path);
        Ok(Self { path, keys, stamp })
    }

    /// Every change starts from the file as it is now, so a key another process added
    /// (`api-key create` while the engine runs) survives this process's save.
    ///
    /// Re-reads the file when someone else (`api-key create` while the engine runs) changed
    /// it; returns whether it did. Cheap when nothing changed (one `stat`).
    pub fn reload_if_changed(&mut self) -> anyhow::Result<bool> {
        if file_stamp(&self.path) == self.stamp {
            return Ok(false);
        }
        let dir = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        *self = Self::load(&dir)?;
        Ok(true)
    }

    fn save(&mut self) -> anyhow::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let body = serde_json::to_vec_pretty(&KeyFile {
            keys: self.keys.clone(),
        })?;
        {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&body)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        self.stamp = file_stamp(&self.path);
        Ok(())
    }

    /// Creates a key; returns the full secret (shown once, never stored).
    pub fn create(
        &mut self,
        name: &str,
        valid_days: Option<u32>,
        owner: &str,
    ) -> anyhow::Result<String> {
        self.reload_if_changed()?;
        if name.trim().is_empty() {
            bail!("give the key a name (who or what uses it)");
        }
        let id = format!("cs{}", random_hex(4)?);
        let secret = random_hex(32)?;
        let created = now_s();
        self.keys.push(KeyEntry {
            id: id.clone(),
            name: name.to_owned(),
            sha256: hash(&secret),
            created,
            expires: valid_days.map(|d| created + u64::from(d) * 86_400),
            owner: Some(owner.to_owned()),
        });
        self.save()?;
        Ok(format!("{id}.{secret}"))
    }

    /// Replaces a key by a new one with the same name, owner and validity period; the old key
    /// stops working at once. Returns the new key (shown once).
    pub fn rotate(&mut self, id: &str) -> anyhow::Result<(String, KeyEntry)> {
        self.reload_if_changed()?;
        let Some(old) = self.keys.iter().find(|k| k.id == id).cloned() else {
            bail!("no API key with id {id:?}");
        };
        let days = old
            .expires
            .map(|e| u32::try_from(e.saturating_sub(old.created) / 86_400).unwrap_or(u32::MAX));
        self.keys.retain(|k| k.id != id);
        let key = self.create(&old.name, days, old.owner())?;
        let entry = self
            .keys
            .last()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("key store empty after create"))?;
        Ok((key, entry))
    }

    pub fn get(&self, id: &str) -> Option<&KeyEntry> {
        self.keys.iter().find(|k| k.id == id)
    }

    pub fn revoke(&mut self, id: &str) -> anyhow::Result<()> {
        self.reload_if_changed()?;
        let before = self.keys.len();
        self.keys.retain(|k| k.id != id);
        if self.keys.len() == before {
            bail!("no API key with id {id:?} (see `api-key list`)");
        }
        self.save()
    }

    pub fn list(&self) -> &[KeyEntry] {
        &self.keys
    }

    /// The key entry a presented key matches, if valid and not expired.
    pub fn verify(&self, presented: &str) -> Option<&KeyEntry> {
        let (id, secret) = presented.trim().split_once('.')?;
        let k = self.keys.iter().find(|k| k.id == id)?;
        if k.expires.is_some_and(|e| e <= now_s()) {
            return None;
        }
        ct_eq(hash(secret).as_bytes(), k.sha256.as_bytes()).then_some(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_key_verifies_and_only_its_hash_is_stored() {
        let dir = std::env::temp_dir().join(format!("cs-keys-{}", std::process::id()));
        let mut k = ApiKeys::load(&dir).unwrap();
        let key = k.create("tests", None, "admin").unwrap();
        let stored = std::fs::read_to_string(dir.join("api_keys.json")).unwrap();
        let secret = key.split_once('.').unwrap().1;
        assert!(!stored.contains(secret), "secret must not be stored");
        let k2 = ApiKeys::load(&dir).unwrap();
        assert!(k2.verify(&key).is_some());
        assert!(k2.verify(&format!("{key}x")).is_none());
        assert!(k2.verify("nothing").is_none());
        let id = key.split_once('.').unwrap().0.to_owned();
        let mut k3 = k2.clone();
        k3.revoke(&id).unwrap();
        assert!(k3.verify(&key).is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
