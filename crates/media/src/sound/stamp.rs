//! What tells two versions of a file apart without reading it: its modification time and
//! length. Caches of decoded sounds (prompts, music on hold) check their files with it, so
//! a file replaced on disk is read again.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

/// A file's modification time and length, as of a `stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
}

impl FileStamp {
    /// The stamp of the file at `path`, if it can be read.
    pub(crate) fn of(path: &Path) -> Option<FileStamp> {
        let metadata = fs::metadata(path).ok()?;
        Some(FileStamp { modified: metadata.modified().ok(), len: metadata.len() })
    }
}
