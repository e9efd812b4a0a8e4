//! What a [`SoundLibrary`] holds, listed as ARI's `/sounds` shows it: every sound id with
//! the languages and formats it exists in. Read-only; the player never uses it.
//!
//! Layout, as the library resolves names: a top-level folder named like a language tag
//! (`en`, `fr`, `en_US_f_Allison`) holds that language's sounds; every other file (in the
//! root or under a folder such as `digits/` or `custom/`) is unlocalised, played for any
//! language that lacks its own copy, and listed under [`DEFAULT_LANGUAGE`]. Formats are
//! named by their codec as Asterisk names them (`slin` for WAV, `ulaw`, `alaw`), so the
//! `format` filter takes the same words as Asterisk's.
//!
//! Folders are followed through symbolic links (Debian links `en` to its voice), so the
//! walk is bounded in depth and size: a link loop ends it instead of hanging it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::check_name;
use super::library::{SoundError, SoundFormat, SoundLibrary, DEFAULT_LANGUAGE};

/// How deep folders are followed below a language (or the root).
const MAX_DEPTH: usize = 8;

/// The most files looked at in one listing, so a huge or looping tree cannot stall it.
const MAX_FILES: usize = 200_000;

/// One language and format a sound exists in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SoundVariant {
    /// The language folder (`en`, `fr_FR`), or [`DEFAULT_LANGUAGE`] for unlocalised files.
    pub language: String,
    /// How the file is encoded.
    pub format: SoundFormat,
}

/// A sound and every variant of it on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundEntry {
    /// The name `sound:` URIs play it by (`hello-world`, `digits/1`).
    pub id: String,
    /// Its languages and formats, sorted.
    pub variants: Vec<SoundVariant>,
}

impl SoundFormat {
    /// The codec name Asterisk reports and filters sounds by (`slin`, `ulaw`, `alaw`).
    pub fn codec_name(self) -> &'static str {
        match self {
            Self::Wav => "slin",
            Self::Ulaw => "ulaw",
            Self::Alaw => "alaw",
        }
    }

    /// The format a file extension names, if it is one the library plays.
    pub fn from_extension(extension: &str) -> Option<SoundFormat> {
        SoundFormat::PREFERENCE.into_iter().find(|format| format.extensions().contains(&extension))
    }
}

/// Whether a top-level folder name is a language tag (`en`, `pt_BR`, `en_US_f_Allison`)
/// rather than a folder of unlocalised sounds (`digits`, `custom`).
pub fn is_language_folder(name: &str) -> bool {
    let mut parts = name.split('_');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl SoundLibrary {
    /// Every sound in the library, sorted by id; none when the directory does not exist.
    pub fn catalog(&self) -> Result<Vec<SoundEntry>, SoundError> {
        let mut found: BTreeMap<String, BTreeSet<SoundVariant>> = BTreeMap::new();
        let mut budget = MAX_FILES;
        for (language, root, skip_languages) in self.trees()? {
            walk(&root, "", 0, skip_languages, &mut budget, &mut |id, format| {
                found.entry(id).or_default().insert(SoundVariant { language: language.clone(), format });
            })?;
        }
        Ok(found
            .into_iter()
            .map(|(id, variants)| SoundEntry { id, variants: variants.into_iter().collect() })
            .collect())
    }

    /// The sound `id` with its variants, if the library has it (the same answer as its
    /// entry in [`SoundLibrary::catalog`], without the walk).
    pub fn entry(&self, id: &str) -> Result<Option<SoundEntry>, SoundError> {
        check_name(id)?;
        let first = id.split('/').next().unwrap_or_default();
        let mut variants = BTreeSet::new();
        for (language, root, skip_languages) in self.trees()? {
            if skip_languages && id.contains('/') && is_language_folder(first) {
                continue;
            }
            for format in SoundFormat::PREFERENCE {
                for extension in format.extensions() {
                    if is_file(&root.join(format!("{id}.{extension}")))? {
                        variants.insert(SoundVariant { language: language.clone(), format });
                    }
                }
            }
        }
        Ok((!variants.is_empty()).then(|| SoundEntry { id: id.to_owned(), variants: variants.into_iter().collect() }))
    }

    /// The trees to list: each language folder, then the root as the unlocalised tree (whose
    /// language folders are skipped: they are listed as languages).
    fn trees(&self) -> Result<Vec<(String, PathBuf, bool)>, SoundError> {
        let mut trees = Vec::new();
        for (name, path) in folders(self.dir())? {
            if is_language_folder(&name) {
                trees.push((name, path, false));
            }
        }
        trees.push((DEFAULT_LANGUAGE.to_owned(), self.dir().to_owned(), true));
        Ok(trees)
    }
}

/// The sub-folders of `dir` (symbolic links followed) by name; none if `dir` is missing.
fn folders(dir: &Path) -> Result<Vec<(String, PathBuf)>, SoundError> {
    let mut folders = Vec::new();
    for (name, path, is_dir) in entries(dir)? {
        if is_dir {
            folders.push((name, path));
        }
    }
    Ok(folders)
}

/// The entries of `dir` whose names are UTF-8: (name, path, whether it is a folder).
/// Entries that vanish or cannot be followed (a dangling link) are left out.
fn entries(dir: &Path) -> Result<Vec<(String, PathBuf, bool)>, SoundError> {
    let unreadable = |source| SoundError::Unreadable { path: dir.to_owned(), source };
    let listing = match fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(unreadable(source)),
    };
    let mut entries = Vec::new();
    for entry in listing {
        let entry = entry.map_err(unreadable)?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        let path = entry.path();
        match fs::metadata(&path) {
            Ok(metadata) if metadata.is_dir() => entries.push((name, path, true)),
            Ok(metadata) if metadata.is_file() => entries.push((name, path, false)),
            _ => {}
        }
    }
    Ok(entries)
}

/// Lists the sounds under `dir` (named `prefix` + relative path) into `found`.
fn walk(
    dir: &Path,
    prefix: &str,
    depth: usize,
    skip_languages: bool,
    budget: &mut usize,
    found: &mut dyn FnMut(String, SoundFormat),
) -> Result<(), SoundError> {
    for (name, path, is_dir) in entries(dir)? {
        if *budget == 0 {
            return Ok(());
        }
        *budget -= 1;
        if is_dir {
            if depth < MAX_DEPTH && !(skip_languages && depth == 0 && is_language_folder(&name)) {
                walk(&path, &format!("{prefix}{name}/"), depth + 1, false, budget, found)?;
            }
            continue;
        }
        let Some((stem, extension)) = name.rsplit_once('.') else { continue };
        let Some(format) = SoundFormat::from_extension(extension) else { continue };
        let id = format!("{prefix}{stem}");
        // Only names a `sound:` URI can ask for.
        if check_name(&id).is_ok() {
            found(id, format);
        }
    }
    Ok(())
}

fn is_file(path: &Path) -> Result<bool, SoundError> {
    match fs::metadata(path) {
        Ok(metadata) => Ok(metadata.is_file()),
        Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Ok(false),
        Err(source) => Err(SoundError::Unreadable { path: path.to_owned(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sound::{write_test_wav, ScratchDir};

    fn variant(language: &str, format: SoundFormat) -> SoundVariant {
        SoundVariant { language: language.to_owned(), format }
    }

    #[test]
    fn language_folders_are_told_from_sound_folders() {
        for language in ["en", "fr", "pt_BR", "en_US_f_Allison", "yue"] {
            assert!(is_language_folder(language), "{language}");
        }
        for folder in ["digits", "custom", "letters", "EN", "e", "en_", "en-US", "recordings"] {
            assert!(!is_language_folder(folder), "{folder}");
        }
    }

    #[test]
    fn lists_every_sound_with_its_languages_and_formats() {
        let scratch = ScratchDir::new("catalog-list");
        let dir = scratch.path();
        write_test_wav(&dir.join("en/hello-world.wav"), &[1]);
        fs::write(dir.join("en/hello-world.ulaw"), [0xff]).unwrap();
        write_test_wav(&dir.join("fr/hello-world.wav"), &[1]);
        write_test_wav(&dir.join("en/digits/1.wav"), &[1]);
        fs::create_dir_all(dir.join("fr/digits")).unwrap();
        fs::write(dir.join("fr/digits/1.al"), [0xd5]).unwrap();
        write_test_wav(&dir.join("custom/welcome.wav"), &[1]);
        write_test_wav(&dir.join("beep.wav"), &[1]);
        fs::write(dir.join("en/notes.txt"), b"not a sound").unwrap();
        fs::write(dir.join("en/old.gsm"), b"a format not played").unwrap();
        let library = SoundLibrary::new(dir);

        let catalog = library.catalog().unwrap();
        let ids: Vec<&str> = catalog.iter().map(|entry| entry.id.as_str()).collect();
        assert_eq!(ids, ["beep", "custom/welcome", "digits/1", "hello-world"]);
        assert_eq!(catalog[2].variants, [variant("en", SoundFormat::Wav), variant("fr", SoundFormat::Alaw)]);
        assert_eq!(
            catalog[3].variants,
            [variant("en", SoundFormat::Wav), variant("en", SoundFormat::Ulaw), variant("fr", SoundFormat::Wav)]
        );
        assert_eq!(catalog[1].variants, [variant("en", SoundFormat::Wav)], "unlocalised: the default language");
        for entry in &catalog {
            assert_eq!(library.entry(&entry.id).unwrap().as_ref(), Some(entry), "{}", entry.id);
        }
        // Every listed variant is what the player finds for that language.
        assert_eq!(library.resolve("digits/1", Some("fr")).unwrap().format, SoundFormat::Alaw);
    }

    #[test]
    fn unknown_ids_bad_names_and_missing_libraries() {
        let scratch = ScratchDir::new("catalog-missing");
        let library = SoundLibrary::new(scratch.path().join("nowhere"));
        assert_eq!(library.catalog().unwrap(), []);
        assert_eq!(library.entry("hello").unwrap(), None);
        write_test_wav(&scratch.path().join("en/hello.wav"), &[1]);
        let library = SoundLibrary::new(scratch.path());
        assert_eq!(library.entry("nothing").unwrap(), None);
        assert_eq!(library.entry("en/hello").unwrap(), None, "a language folder is not part of an id");
        assert!(matches!(library.entry("../etc/passwd"), Err(SoundError::Name(_))));
        assert!(matches!(library.entry("/etc/passwd"), Err(SoundError::Name(_))));
        fs::create_dir_all(scratch.path().join("en/folder.wav")).unwrap();
        assert_eq!(library.entry("folder").unwrap(), None, "a folder is no sound");
    }

    #[cfg(unix)]
    #[test]
    fn linked_language_folders_are_followed_and_loops_end() {
        let scratch = ScratchDir::new("catalog-links");
        let dir = scratch.path();
        write_test_wav(&dir.join("en_US_f_Allison/hello.wav"), &[1]);
        std::os::unix::fs::symlink(dir.join("en_US_f_Allison"), dir.join("en")).unwrap();
        std::os::unix::fs::symlink(dir.join("en_US_f_Allison"), dir.join("en_US_f_Allison/loop")).unwrap();
        let catalog = SoundLibrary::new(dir).catalog().unwrap();
        let hello = catalog.iter().find(|entry| entry.id == "hello").unwrap();
        assert_eq!(hello.variants, [variant("en", SoundFormat::Wav), variant("en_US_f_Allison", SoundFormat::Wav)]);
        assert!(catalog.iter().any(|entry| entry.id.starts_with("loop/loop/")), "the loop is followed, boundedly");
        assert!(catalog.iter().all(|entry| entry.id.split('/').count() <= MAX_DEPTH + 1));
    }
}
