//! Finds the operation a request path and method name in the route table, walking the path
//! one segment at a time as Asterisk's handler tree does: a literal segment wins over a
//! `{variable}` one, and there is no backtracking. Segments are percent-decoded (`+` is a
//! space, as in Asterisk's legacy decoding: aioari sends path values with `quote_plus`).

use crate::error::AriError;
use crate::spec::{self, Api, Method, Operation, Resource};
use percent_encoding::percent_decode_str;

/// The operation a request resolved to, with its path parameters.
#[derive(Debug)]
pub struct Route {
    /// The api-doc declaring it.
    pub resource: &'static Resource,
    /// The path it was declared under.
    pub api: &'static Api,
    /// The operation.
    pub operation: &'static Operation,
    /// `{name}` segments and their decoded values.
    pub path_params: Vec<(&'static str, String)>,
}

/// Resolves `path` (the part after `/ari/`, no leading slash) and `method`.
pub fn resolve(path: &str, method: &axum::http::Method) -> Result<Route, AriError> {
    let segments: Vec<String> = path.split('/').map(decode_segment).collect();
    let mut candidates: Vec<(&'static Resource, &'static Api, Vec<&'static str>)> = spec::RESOURCES
        .iter()
        .flat_map(|r| r.apis.iter().map(move |api| (*r, api, api.path.split('/').filter(|s| !s.is_empty()).collect())))
        .collect();
    for (depth, segment) in segments.iter().enumerate() {
        candidates.retain(|(_, _, template)| template.len() > depth);
        let literal = candidates.iter().any(|(_, _, t)| t[depth] == segment);
        candidates.retain(|(_, _, t)| if literal { t[depth] == segment } else { is_variable(t[depth]) });
        if candidates.is_empty() {
            return Err(AriError::not_found("Resource not found"));
        }
    }
    // The walk ended on a node; it may be an inner one with no operations of its own.
    let Some((resource, api, template)) = candidates.into_iter().find(|(_, _, t)| t.len() == segments.len()) else {
        return Err(AriError::MethodNotAllowed { allow: Vec::new() });
    };
    let wanted = Method::from_http(method);
    let Some(operation) = api.operations.iter().find(|op| Some(op.method) == wanted) else {
        return Err(AriError::MethodNotAllowed { allow: api.operations.iter().map(|op| op.method.as_str()).collect() });
    };
    let path_params = template
        .iter()
        .zip(segments)
        .filter_map(|(t, value)| Some((t.strip_prefix('{')?.strip_suffix('}')?, value)))
        .collect();
    Ok(Route { resource, api, operation, path_params })
}

fn is_variable(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

fn decode_segment(segment: &str) -> String {
    percent_decode_str(&segment.replace('+', " ")).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method as M;

    fn route(path: &str, method: M) -> Route {
        resolve(path, &method).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn literals_win_over_variables() {
        assert_eq!(route("channels/create", M::POST).operation.nickname, "create");
        assert_eq!(route("channels/abc", M::POST).operation.nickname, "originateWithId");
        assert_eq!(route("endpoints/sendMessage", M::PUT).operation.nickname, "sendMessage");
        let r = route("endpoints/PJSIP/alice", M::GET);
        assert_eq!((r.resource.name, r.operation.nickname), ("endpoints", "get"));
        assert_eq!(r.path_params, vec![("tech", "PJSIP".to_owned()), ("resource", "alice".to_owned())]);
    }

    #[test]
    fn path_values_are_decoded() {
        let r = route("deviceStates/Stasis%3Ax", M::GET);
        assert_eq!(r.path_params, vec![("deviceName", "Stasis:x".to_owned())]);
        let r = route("channels/a+b/answer", M::POST);
        assert_eq!(r.path_params, vec![("channelId", "a b".to_owned())]);
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405_with_allow() {
        assert_eq!(resolve("nothing", &M::GET).unwrap_err(), AriError::not_found("Resource not found"));
        assert_eq!(resolve("channels/x/answer/more", &M::GET).unwrap_err(), AriError::not_found("Resource not found"));
        assert_eq!(
            resolve("channels", &M::PUT).unwrap_err(),
            AriError::MethodNotAllowed { allow: vec!["GET", "POST"] }
        );
        // No backtracking: `create` is taken as the literal, which has only POST.
        assert_eq!(
            resolve("channels/create", &M::GET).unwrap_err(),
            AriError::MethodNotAllowed { allow: vec!["POST"] }
        );
    }

    #[test]
    fn every_operation_in_the_table_is_reachable() {
        for resource in spec::RESOURCES {
            for (api, op) in resource.operations() {
                let path = api.path.trim_start_matches('/').replace('{', "x").replace('}', "");
                let method = M::from_bytes(op.method.as_str().as_bytes()).expect("method");
                let found = route(&path, method);
                assert!(
                    std::ptr::eq(found.operation, op),
                    "{} {} went to {}",
                    op.method.as_str(),
                    api.path,
                    found.operation.nickname
                );
            }
        }
    }
}
