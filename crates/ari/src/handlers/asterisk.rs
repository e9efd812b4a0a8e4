//! `/asterisk`: the node's information, ping, global variables; modules and logging answer
//! for Switchboard's own components (they cannot be loaded or unloaded at run time); dynamic
//! configuration answers as Asterisk does for a configuration class it does not have.

use super::{handler, Call, Handler, Reply};
use crate::error::AriError;
use crate::events::Timestamp;
use crate::models::{
    AsteriskInfo, AsteriskPing, BuildInfo, ConfigInfo, LogChannel, Module, SetId, StatusInfo, SystemInfo, Variable,
};
use crate::state::AriState;

/// Switchboard's components, reported as Asterisk reports its modules.
const MODULES: [(&str, &str); 6] = [
    ("sb-sip", "SIP transports, transactions and dialogs"),
    ("sb-media", "RTP relay, codecs, mixing, prompts and recording"),
    ("sb-core", "Calls, routing, registrar and device states"),
    ("sb-api", "Provisioning API"),
    ("sb-crm", "CRM bridge and webhooks"),
    ("sb-ari", "Asterisk REST Interface"),
];

/// The one log channel: everything goes to standard error, filtered by `RUST_LOG`.
const CONSOLE: &str = "console";

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "getInfo" => handler!(get_info),
        "ping" => handler!(ping),
        "getGlobalVar" => handler!(get_global_var),
        "setGlobalVar" => handler!(set_global_var),
        "listModules" => handler!(list_modules),
        "getModule" => handler!(get_module),
        "loadModule" => handler!(load_module),
        "unloadModule" => handler!(unload_module),
        "reloadModule" => handler!(reload_module),
        "listLogChannels" => handler!(list_log_channels),
        "addLog" => handler!(add_log),
        "deleteLog" => handler!(delete_log),
        "rotateLog" => handler!(rotate_log),
        "getObject" | "updateObject" | "deleteObject" => handler!(config_object),
        _ => None,
    }
}

async fn get_info(state: AriState, call: Call) -> Result<Reply, AriError> {
    let only = call.params.list("only").unwrap_or_default();
    let wants = |section: &str| only.is_empty() || only.iter().any(|s| s == section);
    let identity = state.identity();
    let info = AsteriskInfo {
        build: wants("build").then(|| BuildInfo {
            os: std::env::consts::OS.to_owned(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|k| k.trim().to_owned())
                .unwrap_or_default(),
            options: String::new(),
            machine: std::env::consts::ARCH.to_owned(),
            date: String::new(),
            user: String::new(),
        }),
        system: wants("system")
            .then(|| SystemInfo { version: identity.version.clone(), entity_id: identity.entity_id.clone() }),
        config: wants("config").then(|| ConfigInfo {
            name: "switchboard".to_owned(),
            default_language: "en".to_owned(),
            max_channels: None,
            max_open_files: None,
            max_load: None,
            setid: SetId { user: String::new(), group: String::new() },
        }),
        status: wants("status")
            .then_some(StatusInfo { startup_time: identity.started, last_reload_time: identity.started }),
    };
    Ok(Reply::json(info))
}

async fn ping(state: AriState, _call: Call) -> Result<Reply, AriError> {
    let identity = state.identity();
    Ok(Reply::json(AsteriskPing {
        asterisk_id: identity.entity_id.clone(),
        ping: "pong".to_owned(),
        timestamp: Timestamp::now().text(),
    }))
}

async fn get_global_var(state: AriState, call: Call) -> Result<Reply, AriError> {
    let name = call.params.text("variable").unwrap_or_default();
    // An unset variable reads as empty, as in Asterisk.
    let value = state.globals().get(name).cloned().unwrap_or_default();
    Ok(Reply::json(Variable { value }))
}

async fn set_global_var(state: AriState, call: Call) -> Result<Reply, AriError> {
    let name = call.params.text("variable").unwrap_or_default().to_owned();
    match call.params.text("value") {
        Some(value) => state.globals().insert(name, value.to_owned()),
        // Without a value the variable is unset, as `Set(GLOBAL(x)=)` does.
        None => state.globals().remove(&name),
    };
    Ok(Reply::NoContent)
}

fn module(name: &str) -> Option<Module> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(name, description)| Module {
        name: (*name).to_owned(),
        description: (*description).to_owned(),
        use_count: 0,
        status: "Running".to_owned(),
        support_level: "core".to_owned(),
    })
}

async fn list_modules(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    Ok(Reply::json(MODULES.iter().filter_map(|(name, _)| module(name)).collect::<Vec<_>>()))
}

fn module_name(call: &Call) -> &str {
    call.params.text("moduleName").unwrap_or_default()
}

async fn get_module(_state: AriState, call: Call) -> Result<Reply, AriError> {
    module(module_name(&call))
        .map(Reply::json)
        .ok_or_else(|| AriError::not_found("Module could not be found in running modules."))
}

async fn load_module(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    Err(AriError::conflict("Module could not be loaded."))
}

async fn unload_module(_state: AriState, call: Call) -> Result<Reply, AriError> {
    match module(module_name(&call)) {
        Some(_) => Err(AriError::conflict("Module could not be unloaded.")),
        None => Err(AriError::not_found("Module not found in running modules.")),
    }
}

async fn reload_module(_state: AriState, call: Call) -> Result<Reply, AriError> {
    match module(module_name(&call)) {
        Some(_) => Err(AriError::conflict("Module could not be reloaded.")),
        None => Err(AriError::not_found("Module not found in running modules.")),
    }
}

async fn list_log_channels(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    let configuration = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned());
    Ok(Reply::json(vec![LogChannel {
        channel: CONSOLE.to_owned(),
        r#type: "Console".to_owned(),
        status: "Enabled".to_owned(),
        configuration,
    }]))
}

async fn add_log(_state: AriState, _call: Call) -> Result<Reply, AriError> {
    Err(AriError::conflict("Log channel could not be created."))
}

async fn delete_log(_state: AriState, call: Call) -> Result<Reply, AriError> {
    match call.params.text("logChannelName") {
        Some(CONSOLE) => Err(AriError::not_implemented("The console log channel cannot be removed")),
        _ => Err(AriError::not_found("Log channel does not exist.")),
    }
}

async fn rotate_log(_state: AriState, call: Call) -> Result<Reply, AriError> {
    match call.params.text("logChannelName") {
        // Standard error has nothing to rotate.
        Some(CONSOLE) => Ok(Reply::NoContent),
        _ => Err(AriError::not_found("Log channel does not exist.")),
    }
}

async fn config_object(_state: AriState, call: Call) -> Result<Reply, AriError> {
    let class = call.params.text("configClass").unwrap_or_default();
    Err(AriError::not_found(format!("configClass '{class}' not found")))
}
