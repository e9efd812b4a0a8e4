//! `/recordings/stored`: the recordings the media engine wrote, in its recordings directory
//! (names may have `/` subfolders, never `..` or a leading `/`): list, details, the WAV file
//! itself, copy and delete, with Asterisk's answers (checked on Asterisk 22.10.1): a name
//! that leads outside the directory is a recording that does not exist, except as a copy's
//! destination (403); a file that cannot be read is a 403.

use super::{handler, off_runtime, Call, Handler, Reply};
use crate::error::AriError;
use crate::models::StoredRecording;
use crate::state::AriState;
use sb_media::engine::RECORDING_FORMAT;
use sb_media::sound::recording::{RecordingError, RecordingStore};

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "listStored" => handler!(list_stored),
        "getStored" => handler!(get_stored),
        "deleteStored" => handler!(delete_stored),
        "getStoredFile" => handler!(get_stored_file),
        "copyStored" => handler!(copy_stored),
        _ => None,
    }
}

const NOT_FOUND: &str = "Recording not found";

fn model(name: String) -> StoredRecording {
    StoredRecording { name, format: RECORDING_FORMAT.to_owned() }
}

fn recording_name(call: &Call) -> String {
    call.params.text("recordingName").unwrap_or_default().to_owned()
}

/// Runs `work` on the recordings off the runtime; without a recordings directory there is
/// no recording at all.
async fn with_store<T: Send + 'static>(
    state: &AriState,
    work: impl FnOnce(&RecordingStore) -> Result<T, RecordingError> + Send + 'static,
) -> Result<Result<T, RecordingError>, AriError> {
    let Some(store) = state.recordings().cloned() else { return Err(AriError::not_found(NOT_FOUND)) };
    off_runtime(move || work(&store)).await
}

/// The answer to a recording that is missing (or named so it cannot exist), or else
/// `failure`, for a disk error.
fn refused(error: RecordingError, failure: AriError) -> AriError {
    match error {
        RecordingError::NotFound(_) | RecordingError::Name(_) => AriError::not_found(NOT_FOUND),
        other => {
            tracing::warn!(error = %other, "ARI stored recordings: the disk refused");
            failure
        }
    }
}

async fn list_stored(state: AriState, _call: Call) -> Result<Reply, AriError> {
    if state.recordings().is_none() {
        return Ok(Reply::json(Vec::<StoredRecording>::new()));
    }
    let names = with_store(&state, RecordingStore::list)
        .await?
        .map_err(|e| refused(e, AriError::internal("Allocation failed")))?;
    Ok(Reply::json(names.into_iter().map(model).collect::<Vec<_>>()))
}

async fn get_stored(state: AriState, call: Call) -> Result<Reply, AriError> {
    let name = recording_name(&call);
    let probe = name.clone();
    with_store(&state, move |store| store.locate(&probe))
        .await?
        .map_err(|e| refused(e, AriError::internal("Error building response")))?;
    Ok(Reply::json(model(name)))
}

async fn delete_stored(state: AriState, call: Call) -> Result<Reply, AriError> {
    let name = recording_name(&call);
    with_store(&state, move |store| store.delete(&name))
        .await?
        .map_err(|e| refused(e, AriError::internal("Delete failed")))?;
    Ok(Reply::NoContent)
}

async fn get_stored_file(state: AriState, call: Call) -> Result<Reply, AriError> {
    let name = recording_name(&call);
    let bytes = with_store(&state, move |store| store.read(&name))
        .await?
        .map_err(|e| refused(e, AriError::forbidden("Recording could not be opened")))?;
    Ok(Reply::File { content_type: "audio/wav", bytes })
}

async fn copy_stored(state: AriState, call: Call) -> Result<Reply, AriError> {
    let source = recording_name(&call);
    let destination = call.params.text("destinationRecordingName").unwrap_or_default().to_owned();
    let target = destination.clone();
    let copied = with_store(&state, move |store| {
        // The source first: Asterisk answers 404 for it (whatever its name) before looking
        // at the destination, so every name error below is the destination's.
        store.locate(&source).map_err(|error| match error {
            RecordingError::Name(_) => RecordingError::NotFound(source.clone()),
            other => other,
        })?;
        if store.exists(&target).unwrap_or(false) {
            return Err(RecordingError::AlreadyExists(target));
        }
        store.copy(&source, &target)
    })
    .await?;
    match copied {
        Ok(()) => Ok(Reply::json(model(destination))),
        Err(RecordingError::AlreadyExists(_)) => {
            Err(AriError::conflict("A recording with the same name already exists on the system"))
        }
        Err(RecordingError::Name(error)) if error.climbs_out() => {
            Err(AriError::forbidden("Destination file path is forbidden"))
        }
        Err(RecordingError::Name(_)) => Err(AriError::bad_request("Invalid destination recording name")),
        Err(other) => Err(refused(other, AriError::internal("Copy failed"))),
    }
}
