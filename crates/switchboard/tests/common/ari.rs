//! ARI through the real binary: the users ARI tests log in as, requests as one of them, and
//! Asterisk's error answers.

use super::{Resp, Server, TempDir};
use reqwest::Method;
use serde_json::json;

/// ARI users `app` (read-write, password `s3cret`) and `viewer` (read-only, `look`).
pub const ARI_CONFIG: &str =
    "[ari.users.app]\npassword = \"s3cret\"\n[ari.users.viewer]\npassword = \"look\"\nread_only = true\n";

/// Writes [`ARI_CONFIG`] into `dir`; answers the file's path, for `--config`.
pub fn ari_config(dir: &TempDir) -> String {
    let config = dir.path().join("switchboard.toml");
    std::fs::write(&config, ARI_CONFIG).expect("config");
    config.to_str().expect("utf-8 path").to_owned()
}

/// An ARI request as user `app` with Basic authentication.
pub fn ari(server: &Server, method: Method, path: &str) -> reqwest::RequestBuilder {
    server.client.request(method, server.url(&format!("/ari/{path}"))).basic_auth("app", Some("s3cret"))
}

/// Asserts an ARI error: the status and Asterisk's `{"message": ...}` body.
#[track_caller]
pub fn assert_error(resp: &Resp, status: u16, message: &str) {
    resp.expect(status);
    assert_eq!(resp.json, json!({"message": message}), "{}", resp.what);
    assert_eq!(resp.header("content-type").as_deref(), Some("application/json"));
}
