//! `/sounds`: the media engine's sound library, as Asterisk's sounds index shows it (a
//! sound per id, with the languages and codec formats it exists in). Filters and answers
//! are Asterisk's: a list that matches nothing is a 404, as is an unknown id.

use super::{handler, off_runtime, Call, Handler, Reply};
use crate::error::AriError;
use crate::models::{FormatLangPair, Sound};
use crate::state::AriState;
use sb_media::sound::catalog::SoundEntry;
use sb_media::sound::library::SoundError;

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" => handler!(list),
        "get" => handler!(get),
        _ => None,
    }
}

/// The sound as ARI shows it, with only the variants `keep` accepts; `None` if none is left.
fn model(entry: SoundEntry, keep: impl Fn(&str, &str) -> bool) -> Option<Sound> {
    let formats: Vec<FormatLangPair> = entry
        .variants
        .into_iter()
        .map(|variant| FormatLangPair { language: variant.language, format: variant.format.codec_name().to_owned() })
        .filter(|pair| keep(&pair.language, &pair.format))
        .collect();
    (!formats.is_empty()).then_some(Sound { id: entry.id, text: None, formats })
}

fn unreadable(error: SoundError) -> AriError {
    tracing::warn!(%error, "ARI sounds: the sound library could not be read");
    AriError::internal("Sounds index not available")
}

async fn list(state: AriState, call: Call) -> Result<Reply, AriError> {
    let catalog = match state.sounds().cloned() {
        Some(library) => off_runtime(move || library.catalog()).await?.map_err(unreadable)?,
        None => Vec::new(),
    };
    let lang = call.params.text("lang").filter(|l| !l.is_empty());
    let format = call.params.text("format").filter(|f| !f.is_empty());
    let keep = |l: &str, f: &str| lang.is_none_or(|lang| lang == l) && format.is_none_or(|format| format == f);
    let sounds: Vec<Sound> = catalog.into_iter().filter_map(|entry| model(entry, keep)).collect();
    if sounds.is_empty() {
        return Err(AriError::not_found("No sounds found that matched the query"));
    }
    Ok(Reply::json(sounds))
}

async fn get(state: AriState, call: Call) -> Result<Reply, AriError> {
    let not_found = || AriError::not_found("Sound not found");
    let Some(library) = state.sounds().cloned() else { return Err(not_found()) };
    let id = call.params.text("soundId").unwrap_or_default().to_owned();
    match off_runtime(move || library.entry(&id)).await? {
        Ok(entry) => entry.and_then(|entry| model(entry, |_, _| true)).map(Reply::json).ok_or_else(not_found),
        // An id no sound can have (`../x`) names none.
        Err(SoundError::Name(_)) => Err(not_found()),
        Err(error) => Err(unreadable(error)),
    }
}
