//! Music-on-hold classes on disk, as Asterisk's `musiconhold.conf` has them with
//! `mode=files` and `sort=alpha`: a class is a folder of sound files, played in file-name
//! order and looped.
//!
//! Global classes are `ROOT/CLASS/`; a tenant's own are `ROOT/tenants/TENANT/CLASS/`, and a
//! channel of that tenant sees its tenant's class first, so a tenant class shadows the
//! global one of the same name. A folder is a class when it holds at least one sound file
//! of a format [`SoundLibrary`](super::library::SoundLibrary) reads (wav, ulaw, alaw); when
//! one name comes in several formats the preferred one plays. [`DEFAULT_CLASS`] is what
//! "music on hold" without a class means.
//!
//! Class and tenant names come from API clients and become path components, so they are
//! held to `[A-Za-z0-9_-]{1,64}` ([`MohName`]): no separator, no dot, nothing to escape.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use thiserror::Error;

use super::library::{SoundError, SoundFile, SoundFormat};
use crate::SAMPLE_RATE;

/// The class played when none is named.
pub const DEFAULT_CLASS: &str = "default";

/// The folder under the root that holds the tenants' classes; never a global class.
pub const TENANTS_DIR: &str = "tenants";

/// The longest class or tenant name.
pub const MAX_NAME_LEN: usize = 64;

/// The most music one class may hold, so a folder of huge files cannot exhaust memory:
/// an hour (57.6 MB of samples). Files past it are left out.
const MAX_CLASS_SECONDS: usize = 3600;

/// Why a class could not be found, listed or read.
#[derive(Debug, Error)]
pub enum MohError {
    /// A class or tenant name outside `[A-Za-z0-9_-]{1,64}`.
    #[error("{0:?} is not a valid class or tenant name (1 to 64 letters, digits, `_` or `-`)")]
    BadName(String),
    /// No such class for the tenant, nor globally.
    #[error("no music-on-hold class {class:?}{}", tenant.as_ref().map(|t| format!(" for tenant {t:?}")).unwrap_or_default())]
    NotFound {
        /// The class asked for.
        class: String,
        /// The tenant it was asked for, if any.
        tenant: Option<String>,
    },
    /// A folder could not be listed.
    #[error("cannot list {path}: {source}")]
    Unreadable {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// None of the class's files could be played; the first file's error.
    #[error("no file of music-on-hold class {class:?} can be played: {source}")]
    Unplayable {
        /// The class.
        class: String,
        /// Why its first file could not.
        source: SoundError,
    },
    /// The class's files hold no audio at all.
    #[error("music-on-hold class {0:?} holds no audio")]
    Empty(String),
    /// The media engine is gone, so nothing can be played any more.
    #[error("the media engine has stopped")]
    EngineStopped,
}

/// A checked class or tenant name: `[A-Za-z0-9_-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MohName(String);

impl MohName {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for MohName {
    type Err = MohError;

    fn from_str(name: &str) -> Result<MohName, MohError> {
        let valid = (1..=MAX_NAME_LEN).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if valid {
            Ok(MohName(name.to_owned()))
        } else {
            Err(MohError::BadName(name.to_owned()))
        }
    }
}

impl fmt::Display for MohName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whose a class is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MohScope {
    /// Every tenant's (and the tenantless channels').
    Global,
    /// One tenant's own.
    Tenant(MohName),
}

/// A class found on disk: its folder and its files, in playing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MohClass {
    /// The class's name.
    pub name: MohName,
    /// Whether it is global or a tenant's.
    pub scope: MohScope,
    /// Its folder.
    pub dir: PathBuf,
    /// Its sound files, sorted by name, one per name.
    pub files: Vec<SoundFile>,
}

impl MohClass {
    /// Reads every file as 8 kHz samples, in order; blocking. A file that cannot be read
    /// is left out (with a warning), as Asterisk skips it, and so is an empty one; only a
    /// class none of whose files plays is an error. Files past [`MAX_CLASS_SECONDS`] of
    /// music are left out.
    pub fn read(&self) -> Result<Vec<Vec<i16>>, MohError> {
        let mut tracks = Vec::with_capacity(self.files.len());
        let mut total = 0;
        let mut first_error = None;
        for file in &self.files {
            match file.read() {
                Ok(samples) if samples.is_empty() => {}
                Ok(samples) if total + samples.len() > MAX_CLASS_SECONDS * SAMPLE_RATE as usize => {
                    tracing::warn!(class = %self.name, path = %file.path.display(), "music on hold: class too long, file left out");
                }
                Ok(samples) => {
                    total += samples.len();
                    tracks.push(samples);
                }
                Err(error) => {
                    tracing::warn!(class = %self.name, %error, "music on hold: file left out");
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            _ if !tracks.is_empty() => Ok(tracks),
            Some(source) => Err(MohError::Unplayable { class: self.name.to_string(), source }),
            None => Err(MohError::Empty(self.name.to_string())),
        }
    }
}

/// The music-on-hold classes under one root folder.
#[derive(Debug, Clone)]
pub struct MohLibrary {
    root: PathBuf,
}

impl MohLibrary {
    /// The classes under `root`.
    pub fn new(root: impl Into<PathBuf>) -> MohLibrary {
        MohLibrary { root: root.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Finds `class` (default [`DEFAULT_CLASS`]) as `tenant` sees it: the tenant's own,
    /// else the global one. Blocking: lists the folders.
    pub fn find(&self, tenant: Option<&str>, class: Option<&str>) -> Result<MohClass, MohError> {
        let tenant = tenant.map(str::parse::<MohName>).transpose()?;
        let class: MohName = class.unwrap_or(DEFAULT_CLASS).parse()?;
        let mut candidates = Vec::with_capacity(2);
        if let Some(tenant) = &tenant {
            candidates.push((self.tenant_dir(tenant).join(class.as_str()), MohScope::Tenant(tenant.clone())));
        }
        if class.as_str() != TENANTS_DIR {
            candidates.push((self.root.join(class.as_str()), MohScope::Global));
        }
        for (dir, scope) in candidates {
            let files = sound_files(&dir)?;
            if !files.is_empty() {
                return Ok(MohClass { name: class, scope, dir, files });
            }
        }
        Err(MohError::NotFound { class: class.to_string(), tenant: tenant.map(|tenant| tenant.to_string()) })
    }

    /// The classes `tenant` can play, sorted by name: its own, and the global ones it does
    /// not shadow. Blocking: lists the folders.
    pub fn classes(&self, tenant: Option<&str>) -> Result<Vec<MohClass>, MohError> {
        let tenant = tenant.map(str::parse::<MohName>).transpose()?;
        let mut classes = BTreeMap::new();
        if let Some(tenant) = &tenant {
            for (name, dir) in class_dirs(&self.tenant_dir(tenant))? {
                let files = sound_files(&dir)?;
                if !files.is_empty() {
                    classes
                        .insert(name.clone(), MohClass { name, scope: MohScope::Tenant(tenant.clone()), dir, files });
                }
            }
        }
        for (name, dir) in class_dirs(&self.root)? {
            if name.as_str() == TENANTS_DIR || classes.contains_key(&name) {
                continue;
            }
            let files = sound_files(&dir)?;
            if !files.is_empty() {
                classes.insert(name.clone(), MohClass { name, scope: MohScope::Global, dir, files });
            }
        }
        Ok(classes.into_values().collect())
    }

    /// Where `tenant`'s classes are.
    fn tenant_dir(&self, tenant: &MohName) -> PathBuf {
        self.root.join(TENANTS_DIR).join(tenant.as_str())
    }
}

/// The sub-folders of `dir` whose names are valid class names; none if `dir` is missing.
fn class_dirs(dir: &Path) -> Result<Vec<(MohName, PathBuf)>, MohError> {
    let Some(entries) = read_dir(dir)? else { return Ok(Vec::new()) };
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| MohError::Unreadable { path: dir.to_owned(), source })?;
        let Some(name) = entry.file_name().to_str().and_then(|name| name.parse::<MohName>().ok()) else { continue };
        // Following symbolic links, as a class linked in from elsewhere is common.
        if entry.path().is_dir() {
            dirs.push((name, entry.path()));
        }
    }
    Ok(dirs)
}

/// The sound files in `dir`, one per name (the preferred format), sorted by name as
/// `sort=alpha` does: ignoring case, then by case. Hidden files and other formats are left
/// out; a missing folder has none.
fn sound_files(dir: &Path) -> Result<Vec<SoundFile>, MohError> {
    let Some(entries) = read_dir(dir)? else { return Ok(Vec::new()) };
    // By name: the file of the most preferred format so far, and that format's rank.
    let mut by_name: BTreeMap<(String, String), (usize, SoundFile)> = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|source| MohError::Unreadable { path: dir.to_owned(), source })?;
        let file_name = entry.file_name();
        let Some((stem, extension)) = file_name.to_str().and_then(|name| name.rsplit_once('.')) else { continue };
        if stem.is_empty() || stem.starts_with('.') {
            continue;
        }
        let Some((rank, format)) = SoundFormat::PREFERENCE
            .iter()
            .enumerate()
            .find(|(_, format)| format.extensions().iter().any(|known| extension.eq_ignore_ascii_case(known)))
        else {
            continue;
        };
        if !entry.path().is_file() {
            continue;
        }
        let key = (stem.to_lowercase(), stem.to_owned());
        let file = SoundFile { path: entry.path(), format: *format };
        match by_name.get(&key) {
            Some((best, _)) if *best <= rank => {}
            _ => {
                by_name.insert(key, (rank, file));
            }
        }
    }
    Ok(by_name.into_values().map(|(_, file)| file).collect())
}

/// The entries of `dir`, or `None` if it does not exist (or is not a folder).
fn read_dir(dir: &Path) -> Result<Option<fs::ReadDir>, MohError> {
    match fs::read_dir(dir) {
        Ok(entries) => Ok(Some(entries)),
        Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Ok(None),
        Err(source) => Err(MohError::Unreadable { path: dir.to_owned(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sound::{write_test_wav, ScratchDir};

    fn names(classes: &[MohClass]) -> Vec<(&str, &MohScope)> {
        classes.iter().map(|class| (class.name.as_str(), &class.scope)).collect()
    }

    fn file_names(class: &MohClass) -> Vec<String> {
        class.files.iter().map(|file| file.path.file_name().unwrap().to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn names_are_plain_words() {
        for good in ["default", "jazz-2", "Tenant_7", &"x".repeat(64)] {
            assert_eq!(good.parse::<MohName>().unwrap().as_str(), good);
        }
        for bad in ["", "..", ".", "a/b", "../etc", "a b", "tenant.x", "é", "a\0", &"x".repeat(65)] {
            assert!(matches!(bad.parse::<MohName>(), Err(MohError::BadName(_))), "{bad:?}");
        }
    }

    #[test]
    fn files_play_in_name_order_one_format_each() {
        let dir = ScratchDir::new("moh-order");
        let class = dir.path().join("default");
        write_test_wav(&class.join("b-second.wav"), &[2]);
        write_test_wav(&class.join("A-first.wav"), &[1]);
        fs::write(class.join("A-first.ulaw"), [0xff]).unwrap();
        fs::write(class.join("c-third.alaw"), [0xd5]).unwrap();
        fs::write(class.join("c-third.ul"), [0xff, 0xff]).unwrap();
        fs::write(class.join("notes.txt"), b"not music").unwrap();
        fs::write(class.join("song.gsm"), b"not ours").unwrap();
        fs::write(class.join(".hidden.wav"), b"").unwrap();
        fs::create_dir_all(class.join("folder.wav")).unwrap();

        let found = MohLibrary::new(dir.path()).find(None, None).unwrap();
        assert_eq!(found.name.as_str(), "default");
        assert_eq!(found.scope, MohScope::Global);
        assert_eq!(file_names(&found), ["A-first.wav", "b-second.wav", "c-third.ul"]);
        assert_eq!(found.read().unwrap(), [vec![1], vec![2], vec![0, 0]]);
    }

    #[test]
    fn a_tenant_class_shadows_the_global_one() {
        let dir = ScratchDir::new("moh-tenants");
        write_test_wav(&dir.path().join("default/global.wav"), &[1]);
        write_test_wav(&dir.path().join("jazz/global.wav"), &[2]);
        write_test_wav(&dir.path().join("tenants/acme/jazz/acme.wav"), &[3]);
        write_test_wav(&dir.path().join("tenants/acme/own/acme.wav"), &[4]);
        fs::create_dir_all(dir.path().join("tenants/acme/empty")).unwrap();
        fs::create_dir_all(dir.path().join("tenants/other/default")).unwrap();
        let library = MohLibrary::new(dir.path());
        let acme = || MohScope::Tenant("acme".parse().unwrap());

        assert_eq!(library.find(Some("acme"), Some("jazz")).unwrap().read().unwrap(), [vec![3]]);
        assert_eq!(library.find(None, Some("jazz")).unwrap().read().unwrap(), [vec![2]]);
        assert_eq!(library.find(Some("other"), Some("jazz")).unwrap().scope, MohScope::Global);
        assert_eq!(
            library.find(Some("other"), None).unwrap().scope,
            MohScope::Global,
            "an empty folder shadows nothing"
        );
        assert_eq!(library.find(Some("acme"), Some("own")).unwrap().scope, acme());
        assert!(matches!(
            library.find(None, Some("own")),
            Err(MohError::NotFound { class, tenant: None }) if class == "own"
        ));
        assert!(matches!(library.find(Some("acme"), Some("empty")), Err(MohError::NotFound { .. })));
        assert!(matches!(library.find(None, Some("tenants")), Err(MohError::NotFound { .. })));

        let global = MohScope::Global;
        assert_eq!(names(&library.classes(None).unwrap()), [("default", &global), ("jazz", &global)]);
        assert_eq!(
            names(&library.classes(Some("acme")).unwrap()),
            [("default", &global), ("jazz", &acme()), ("own", &acme())]
        );
        assert_eq!(names(&library.classes(Some("nobody")).unwrap()).len(), 2);
    }

    #[test]
    fn bad_names_never_reach_the_disk() {
        let dir = ScratchDir::new("moh-names");
        write_test_wav(&dir.path().join("secret/x.wav"), &[1]);
        let library = MohLibrary::new(dir.path().join("moh"));
        for (tenant, class) in [(None, Some("../secret")), (Some(".."), Some("secret")), (Some("a/b"), None)] {
            assert!(matches!(library.find(tenant, class), Err(MohError::BadName(_))), "{tenant:?} {class:?}");
        }
        assert!(matches!(library.classes(Some("../..")), Err(MohError::BadName(_))));
        assert!(library.classes(None).unwrap().is_empty(), "a missing root has no classes");
    }

    #[test]
    fn unplayable_files_are_left_out_and_a_class_of_them_refused() {
        let dir = ScratchDir::new("moh-unplayable");
        fs::create_dir_all(dir.path().join("broken")).unwrap();
        fs::write(dir.path().join("broken/a.wav"), b"RIFF not really").unwrap();
        let library = MohLibrary::new(dir.path());
        assert!(matches!(library.find(None, Some("broken")).unwrap().read(), Err(MohError::Unplayable { .. })));
        write_test_wav(&dir.path().join("silent/a.wav"), &[]);
        assert!(matches!(library.find(None, Some("silent")).unwrap().read(), Err(MohError::Empty(_))));
        write_test_wav(&dir.path().join("broken/c-empty.wav"), &[]);
        write_test_wav(&dir.path().join("broken/b.wav"), &[5, 6]);
        assert_eq!(library.find(None, Some("broken")).unwrap().read().unwrap(), [vec![5, 6]]);
    }
}
