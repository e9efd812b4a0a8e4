//! Greeting files (`usergreetingNNNN.wav|mp3`): checked to be the audio they claim to be,
//! stored in the data directory, and recorded (with size and hash) in the store.

use super::engine::audit;
use super::{Actor, FieldErrors, ProvisionError, Provisioning, Result};
use sb_store::rows::{self, Column, Page};
use sb_store::{Record, Value};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The largest greeting accepted.
pub const MAX_GREETING_BYTES: usize = 20 * 1024 * 1024;

/// The audio formats a greeting may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    /// RIFF/WAVE.
    Wav,
    /// MPEG audio (MP3), with or without an ID3v2 tag.
    Mpeg,
}

impl AudioFormat {
    /// The MIME type served on download.
    pub fn mime(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Mpeg => "audio/mpeg",
        }
    }

    fn from_name(name: &str) -> Option<AudioFormat> {
        match name.rsplit_once('.')?.1 {
            "wav" => Some(AudioFormat::Wav),
            "mp3" => Some(AudioFormat::Mpeg),
            _ => None,
        }
    }

    fn accepts_mime(self, mime: &str) -> bool {
        let mime = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        mime == "application/octet-stream"
            || match self {
                AudioFormat::Wav => matches!(mime.as_str(), "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave"),
                AudioFormat::Mpeg => matches!(mime.as_str(), "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg-3"),
            }
    }
}

/// What the bytes really are, looking at their content only.
pub fn sniff(bytes: &[u8]) -> Option<AudioFormat> {
    if bytes.starts_with(b"RIFF") {
        let reader = hound::WavReader::new(std::io::Cursor::new(bytes)).ok()?;
        let spec = reader.spec();
        return (spec.sample_rate > 0 && spec.channels > 0 && reader.duration() > 0).then_some(AudioFormat::Wav);
    }
    let mut frame = bytes;
    if bytes.starts_with(b"ID3") && bytes.len() > 10 {
        // ID3v2 size is four 7-bit "synchsafe" bytes.
        let size = bytes[6..10].iter().fold(0usize, |acc, b| (acc << 7) | usize::from(b & 0x7f));
        frame = bytes.get(10 + size..)?;
    }
    is_mpeg_frame(frame).then_some(AudioFormat::Mpeg)
}

/// An MPEG audio frame header: 11 sync bits, a valid version, layer, bitrate and rate.
fn is_mpeg_frame(b: &[u8]) -> bool {
    if b.len() < 4 || b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
        return false;
    }
    let version = (b[1] >> 3) & 0x3;
    let layer = (b[1] >> 1) & 0x3;
    let bitrate = b[2] >> 4;
    let rate = (b[2] >> 2) & 0x3;
    version != 1 && layer != 0 && bitrate != 0 && bitrate != 0xF && rate != 3
}

/// Whether `name` is a valid greeting file name.
pub fn valid_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("usergreeting") else { return false };
    let Some((digits, ext)) = rest.split_once('.') else { return false };
    digits.len() == 4 && digits.chars().all(|c| c.is_ascii_digit()) && matches!(ext, "wav" | "mp3")
}

const COLUMNS: &[Column<'static>] = &[
    Column::text("pkey"),
    Column::text("cluster"),
    Column::text("mime"),
    Column::int("size"),
    Column::text("sha256"),
    Column::text("z_created"),
    Column::text("z_updated"),
    Column::text("z_updater"),
];

fn to_json(record: &Record) -> Json {
    Json::Object(record.iter().map(|(n, v)| (n.clone(), v.to_json())).collect::<Map<_, _>>())
}

fn text(record: &Record, name: &str) -> Option<String> {
    record.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_text())
}

/// A greeting upload.
#[derive(Debug)]
pub struct Upload<'a> {
    /// The client's file name.
    pub filename: &'a str,
    /// The part's declared content type, if any.
    pub mime: Option<&'a str>,
    /// The tenant it belongs to, if any.
    pub cluster: Option<&'a str>,
    /// The file content.
    pub bytes: &'a [u8],
}

impl Provisioning {
    /// The greetings the actor may see.
    pub async fn greetings(&self, actor: &Actor) -> Result<Vec<Json>> {
        let mut conn = self.store().read().await?;
        let records = rows::select(&mut conn, "greetings", COLUMNS, &[], &["pkey"], Page::default()).await?;
        Ok(records.iter().filter(|r| visible(actor, r)).map(to_json).collect())
    }

    /// Stores (or replaces) a greeting after checking its name and content.
    pub async fn save_greeting(&self, actor: &Actor, dir: &Path, upload: Upload<'_>) -> Result<Json> {
        actor.require_write()?;
        let cluster = upload.cluster.map(str::to_owned).or_else(|| actor.tenant.clone());
        actor.require_tenant(cluster.as_deref())?;
        let name = upload.filename.trim();
        let mut errors = FieldErrors::default();
        let format = AudioFormat::from_name(name);
        if !valid_name(name) {
            errors.add("greeting", "The greeting must be named usergreetingNNNN.wav or usergreetingNNNN.mp3.");
        } else if upload.bytes.is_empty() {
            errors.add("greeting", "The greeting must not be empty.");
        } else if upload.bytes.len() > MAX_GREETING_BYTES {
            errors.add("greeting", format!("The greeting may not be greater than {} kilobytes.", MAX_GREETING_BYTES / 1024));
        } else if sniff(upload.bytes) != format {
            errors.add("greeting", "The greeting must be a file of type: wav, mpeg.");
        } else if let (Some(mime), Some(format)) = (upload.mime, format) {
            if !format.accepts_mime(mime) {
                errors.add("greeting", "The greeting's content type does not match its content.");
            }
        }
        let Some(format) = format.filter(|_| errors.is_empty()) else {
            return Err(ProvisionError::Invalid(errors));
        };

        let mut tx = self.store().write().await?;
        if let Some(tenant) = &cluster {
            if rows::count(&mut tx, "tenants", &[("pkey", Value::from(tenant.as_str()))]).await? == 0 {
                return Err(FieldErrors::one("cluster", "The selected cluster is invalid.").into());
            }
        }
        let key = [("pkey", Value::from(name))];
        let existing = rows::select_one(&mut tx, "greetings", COLUMNS, &key).await?;
        if let Some(old) = &existing {
            actor.require_tenant(text(old, "cluster").as_deref())?;
        }
        let now = sb_store::now_text();
        let hash = hex::encode(Sha256::digest(upload.bytes));
        let opt = |v: Option<String>| v.map_or(Value::Null, Value::Text);
        let values = [
            (COLUMNS[1], opt(cluster.clone())),
            (COLUMNS[2], Value::from(format.mime())),
            (COLUMNS[3], Value::Int(upload.bytes.len() as i64)),
            (COLUMNS[4], Value::from(hash)),
            (COLUMNS[6], Value::from(now.as_str())),
            (COLUMNS[7], Value::from(actor.id.as_str())),
        ];
        if existing.is_some() {
            rows::update(&mut tx, "greetings", &values, &key).await?;
        } else {
            let mut row = vec![(COLUMNS[0], Value::from(name)), (COLUMNS[5], Value::from(now.as_str()))];
            row.extend(values);
            rows::insert(&mut tx, "greetings", &row, None).await?;
        }
        let record = rows::select_one(&mut tx, "greetings", COLUMNS, &key).await?.unwrap_or_default();
        let after = to_json(&record);
        let action = if existing.is_some() { "update" } else { "create" };
        audit(&mut tx, actor, action, "greetings", name, cluster, existing.as_ref().map(to_json), Some(after.clone())).await?;
        write_atomically(dir, name, upload.bytes).await.map_err(|e| ProvisionError::Store(sb_store::Error::Config(format!("writing greeting: {e}"))))?;
        tx.commit().await?;
        Ok(after)
    }

    /// A greeting's bytes and MIME type.
    pub async fn greeting_file(&self, actor: &Actor, dir: &Path, name: &str) -> Result<(Vec<u8>, String)> {
        let record = self.greeting_record(actor, name).await?;
        let bytes = tokio::fs::read(path_of(dir, name)?)
            .await
            .map_err(|_| ProvisionError::NotFound(format!("No greeting {name}.")))?;
        Ok((bytes, text(&record, "mime").unwrap_or_else(|| "application/octet-stream".into())))
    }

    /// Deletes a greeting.
    pub async fn delete_greeting(&self, actor: &Actor, dir: &Path, name: &str) -> Result<()> {
        actor.require_write()?;
        let mut tx = self.store().write().await?;
        let key = [("pkey", Value::from(name))];
        let record = rows::select_one(&mut tx, "greetings", COLUMNS, &key)
            .await?
            .ok_or_else(|| ProvisionError::NotFound(format!("No greeting {name}.")))?;
        actor.require_tenant(text(&record, "cluster").as_deref())?;
        rows::delete(&mut tx, "greetings", &key).await?;
        audit(&mut tx, actor, "delete", "greetings", name, text(&record, "cluster"), Some(to_json(&record)), None).await?;
        let path = path_of(dir, name)?;
        tx.commit().await?;
        if let Err(e) = tokio::fs::remove_file(&path).await {
            tracing::warn!(greeting = name, error = %e, "greeting row deleted but file removal failed");
        }
        Ok(())
    }

    async fn greeting_record(&self, actor: &Actor, name: &str) -> Result<Record> {
        let mut conn = self.store().read().await?;
        let record = rows::select_one(&mut conn, "greetings", COLUMNS, &[("pkey", Value::from(name))])
            .await?
            .filter(|r| visible(actor, r))
            .ok_or_else(|| ProvisionError::NotFound(format!("No greeting {name}.")))?;
        Ok(record)
    }
}

fn visible(actor: &Actor, record: &Record) -> bool {
    actor.tenant.is_none() || text(record, "cluster") == actor.tenant
}

/// The file path of a greeting; the name was validated, so it cannot leave `dir`.
fn path_of(dir: &Path, name: &str) -> Result<PathBuf> {
    if valid_name(name) {
        Ok(dir.join(name))
    } else {
        Err(ProvisionError::NotFound(format!("No greeting {name}.")))
    }
}

async fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let tmp = dir.join(format!(".{name}.{}.tmp", crate::secrets::hex_token(4)));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, dir.join(name)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav() -> Vec<u8> {
        let mut cursor = std::io::Cursor::new(Vec::new());
        let spec = hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut writer = hound::WavWriter::new(&mut cursor, spec).unwrap();
        for i in 0..800 {
            writer.write_sample(((i as f32 * 0.3).sin() * 8000.0) as i16).unwrap();
        }
        writer.finalize().unwrap();
        cursor.into_inner()
    }

    #[test]
    fn sniffs_real_content_not_names() {
        assert_eq!(sniff(&wav()), Some(AudioFormat::Wav));
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz frame header.
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64, 0, 0]), Some(AudioFormat::Mpeg));
        let mut tagged = b"ID3\x03\x00\x00\x00\x00\x00\x02ab".to_vec();
        tagged.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        assert_eq!(sniff(&tagged), Some(AudioFormat::Mpeg));
        assert_eq!(sniff(b"RIFF\x00\x00\x00\x00WAVEjunk"), None);
        assert_eq!(sniff(b"<?php system($_GET['c']); ?>"), None);
        assert_eq!(sniff(&[0xFF, 0xFB, 0xF0, 0x64]), None, "bad bitrate index");
    }

    #[test]
    fn names() {
        assert!(valid_name("usergreeting1234.wav"));
        assert!(valid_name("usergreeting0001.mp3"));
        assert!(!valid_name("usergreeting123.wav"));
        assert!(!valid_name("../usergreeting1234.wav"));
        assert!(!valid_name("usergreeting1234.wav.php"));
        assert!(!valid_name("usergreeting1234.ogg"));
    }
}
