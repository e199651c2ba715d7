//! Checks HTTP requests against an OpenAPI 3.0 description: the simulators of cloud GLs run every
//! request Folio sends through it, so a request the real API would not understand (a wrong
//! path or method, a missing required header, an undeclared query parameter, a body property
//! that is misspelt, read-only, of the wrong type or outside its enum) fails the test.
//!
//! The description is read at test time from the shared folder (it is not copied into the
//! repository). Only what requests need is implemented: path templates, parameters (path, query,
//! header; `$ref`s to `components/parameters`), and JSON request bodies against their schemas
//! (`$ref`, object properties and `required`, `readOnly`, arrays, strings with `enum`,
//! `maxLength` and `uuid`/`date` formats, numbers, integers, booleans). Unknown body properties
//! are violations: OpenAPI would let them through, but an API that silently ignores a misspelt
//! field is exactly how a journal loses its tracking or tax type.

use serde_json::Value;
use std::path::Path;

/// A loaded OpenAPI description.
#[derive(Debug)]
pub struct OpenApi {
    doc: Value,
    /// The path of the first server URL (`/api.xro/2.0`), stripped from request paths.
    base_path: String,
}

/// One request as the server saw it.
#[derive(Debug, Clone, Default)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Header names lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl OpenApi {
    /// Reads a YAML (or JSON) OpenAPI description.
    pub fn load(path: &Path) -> Result<OpenApi, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc: Value =
            serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base_path = doc["servers"][0]["url"]
            .as_str()
            .and_then(|u| {
                let after = u.split_once("://").map_or(u, |(_, rest)| rest);
                after
                    .find('/')
                    .map(|i| after[i..].trim_end_matches('/').to_owned())
            })
            .unwrap_or_default();
        Ok(OpenApi { doc, base_path })
    }

    /// The same description with another base path (the identity API's paths are at the root).
    pub fn with_base_path(mut self, base_path: &str) -> OpenApi {
        base_path.clone_into(&mut self.base_path);
        self
    }

    fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..16 {
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
                return value;
            };
            let Some(pointer) = reference.strip_prefix('#') else {
                return value;
            };
            match self.doc.pointer(pointer) {
                Some(target) => value = target,
                None => return value,
            }
        }
        value
    }

    /// The path template of `path` (relative to the base path) and its item, if any matches.
    /// Segments compare case-insensitively (Xero's identity description spells `/Connections`,
    /// the API answers `/connections`).
    fn path_item(&self, path: &str) -> Option<(&str, &Value)> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        let mut best = None;
        for (template, item) in paths {
            let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut literal = 0;
            let matches = parts.iter().zip(&segments).all(|(t, s)| {
                if t.starts_with('{') && t.ends_with('}') {
                    true
                } else {
                    literal += 1;
                    t.eq_ignore_ascii_case(s)
                }
            });
            // The most literal template wins (`/Accounts/Attachments` over `/Accounts/{id}`).
            if matches && best.is_none_or(|(_, _, l)| literal > l) {
                best = Some((template.as_str(), item, literal));
            }
        }
        best.map(|(t, i, _)| (t, i))
    }

    /// Every way `request` departs from the description (empty when it conforms).
    pub fn violations(&self, request: &SeenRequest) -> Vec<String> {
        let mut out = Vec::new();
        let what = format!("{} {}", request.method, request.path);
        let Some(relative) = request.path.strip_prefix(&self.base_path) else {
            return vec![format!("{what}: not under {}", self.base_path)];
        };
        let Some((template, item)) = self.path_item(relative) else {
            return vec![format!("{what}: no such path in the description")];
        };
        let method = request.method.to_ascii_lowercase();
        let Some(operation) = item.get(&method) else {
            return vec![format!("{what}: {template} has no {method} operation")];
        };
        let mut parameters: Vec<&Value> = Vec::new();
        for list in [item.get("parameters"), operation.get("parameters")]
            .into_iter()
            .flatten()
        {
            for p in list.as_array().into_iter().flatten() {
                parameters.push(self.resolve(p));
            }
        }
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        for p in &parameters {
            let (Some(name), Some(location)) = (p["name"].as_str(), p["in"].as_str()) else {
                continue;
            };
            let required = p["required"].as_bool().unwrap_or(location == "path");
            let value = match location {
                "query" => request
                    .query
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str()),
                "header" => header(name),
                _ => continue,
            };
            match value {
                None if required => {
                    out.push(format!(
                        "{what}: required {location} parameter {name} missing"
                    ));
                }
                Some(v) => {
                    if let Some(problem) = self.scalar_problem(self.resolve(&p["schema"]), v) {
                        out.push(format!("{what}: {location} parameter {name}: {problem}"));
                    }
                }
                None => {}
            }
        }
        for (name, _) in &request.query {
            let declared = parameters
                .iter()
                .any(|p| p["in"] == "query" && p["name"].as_str() == Some(name.as_str()));
            if !declared {
                out.push(format!("{what}: query parameter {name} is not declared"));
            }
        }
        // Headers the API gives a meaning to must be declared for this operation.
        for name in ["idempotency-key", "if-modified-since"] {
            let declared = parameters.iter().any(|p| {
                p["in"] == "header"
                    && p["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
            });
            if header(name).is_some() && !declared {
                out.push(format!("{what}: header {name} is not declared"));
            }
        }
        let body_spec = operation.get("requestBody").map(|b| self.resolve(b));
        match (body_spec, &request.body) {
            (Some(spec), None) if spec["required"].as_bool() == Some(true) => {
                out.push(format!("{what}: the request body is required"));
            }
            (Some(spec), Some(bytes)) => {
                let schema = &spec["content"]["application/json"]["schema"];
                if schema.is_null() {
                    out.push(format!("{what}: no JSON body is described"));
                } else {
                    match serde_json::from_slice::<Value>(bytes) {
                        Ok(body) => self.check(schema, &body, "body", &mut out, 0),
                        Err(e) => out.push(format!("{what}: the body is not JSON: {e}")),
                    }
                }
            }
            (None, Some(bytes)) if !bytes.is_empty() => {
                out.push(format!("{what}: a body is sent but none is described"));
            }
            _ => {}
        }
        out.iter_mut().for_each(|v| {
            if !v.starts_with(&what) {
                *v = format!("{what}: {v}");
            }
        });
        out
    }

    fn scalar_problem(&self, schema: &Value, text: &str) -> Option<String> {
        match schema["type"].as_str() {
            Some("boolean") if text != "true" && text != "false" => {
                Some(format!("'{text}' is not a boolean"))
            }
            Some("integer") if text.parse::<i64>().is_err() => {
                Some(format!("'{text}' is not an integer"))
            }
            Some("string") if schema["format"] == "uuid" && !is_uuid(text) => {
                Some(format!("'{text}' is not a uuid"))
            }
            _ => None,
        }
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>, depth: usize) {
        if depth > 24 {
            return;
        }
        let schema = self.resolve(schema);
        if let Some(all) = schema["allOf"].as_array() {
            for s in all {
                self.check(s, value, at, out, depth + 1);
            }
        }
        let kind = schema["type"].as_str().or_else(|| {
            schema
                .get("properties")
                .map(|_| "object")
                .or_else(|| schema.get("items").map(|_| "array"))
        });
        match (kind, value) {
            (_, Value::Null) if schema["nullable"].as_bool() == Some(true) => {}
            (Some("object"), Value::Object(map)) => {
                let properties = schema["properties"].as_object();
                for (key, v) in map {
                    match properties.and_then(|p| p.get(key)) {
                        None if properties.is_some()
                            && schema.get("additionalProperties").is_none() =>
                        {
                            out.push(format!("{at}.{key}: not a property of this object"));
                        }
                        None => {}
                        Some(property) => {
                            let resolved = self.resolve(property);
                            if property["readOnly"].as_bool() == Some(true)
                                || resolved["readOnly"].as_bool() == Some(true)
                            {
                                out.push(format!("{at}.{key}: read-only, must not be sent"));
                            }
                            self.check(property, v, &format!("{at}.{key}"), out, depth + 1);
                        }
                    }
                }
                for required in schema["required"].as_array().into_iter().flatten() {
                    if let Some(name) = required.as_str()
                        && !map.contains_key(name)
                    {
                        out.push(format!("{at}.{name}: required"));
                    }
                }
            }
            (Some("array"), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    self.check(
                        &schema["items"],
                        item,
                        &format!("{at}[{i}]"),
                        out,
                        depth + 1,
                    );
                }
            }
            (Some("string"), Value::String(s)) => {
                if let Some(allowed) = schema["enum"].as_array()
                    && !allowed.iter().any(|a| a.as_str() == Some(s))
                {
                    out.push(format!("{at}: '{s}' is not one of {allowed:?}"));
                }
                if let Some(max) = schema["maxLength"].as_u64()
                    && s.chars().count() as u64 > max
                {
                    out.push(format!("{at}: longer than {max} characters"));
                }
                if schema["format"] == "uuid" && !is_uuid(s) {
                    out.push(format!("{at}: '{s}' is not a uuid"));
                }
                if schema["x-is-msdate"].as_bool() == Some(true)
                    && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err()
                {
                    out.push(format!("{at}: '{s}' is not a date YYYY-MM-DD"));
                }
            }
            (Some("number"), Value::Number(_)) | (Some("boolean"), Value::Bool(_)) => {}
            (Some("integer"), Value::Number(n)) if n.is_i64() || n.is_u64() => {}
            (None, _) => {}
            (Some(kind), other) => {
                out.push(format!("{at}: expected {kind}, got {other}"));
            }
        }
    }
}

fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A miniature description with what the checker reads.
    fn api() -> OpenApi {
        let yaml = r##"
openapi: 3.0.0
servers:
  - url: https://api.example.com/api.xro/2.0
paths:
  /Things:
    parameters:
      - $ref: "#/components/parameters/tenant"
    put:
      parameters:
        - in: query
          name: summarizeErrors
          schema: { type: boolean }
        - in: header
          name: Idempotency-Key
          schema: { type: string }
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/Things" }
components:
  parameters:
    tenant: { in: header, name: xero-tenant-id, required: true, schema: { type: string } }
  schemas:
    Things:
      type: object
      properties:
        Things: { type: array, items: { $ref: "#/components/schemas/Thing" } }
    Thing:
      type: object
      required: [Name]
      properties:
        Name: { type: string, maxLength: 5 }
        Kind: { type: string, enum: [A, B] }
        ID: { type: string, format: uuid, readOnly: true }
        Amount: { type: number }
"##;
        let doc: Value = serde_norway::from_str(yaml).unwrap();
        OpenApi {
            doc,
            base_path: "/api.xro/2.0".into(),
        }
    }

    fn request(body: &str, query: &[(&str, &str)], tenant: bool) -> SeenRequest {
        SeenRequest {
            method: "PUT".into(),
            path: "/api.xro/2.0/Things".into(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            headers: if tenant {
                vec![("xero-tenant-id".into(), "t".into())]
            } else {
                vec![]
            },
            body: Some(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn conforming_requests_pass_and_each_departure_is_named() {
        let api = api();
        let ok = r#"{"Things":[{"Name":"ab","Kind":"A","Amount":1.5}]}"#;
        assert_eq!(
            api.violations(&request(ok, &[("summarizeErrors", "false")], true)),
            Vec::<String>::new()
        );
        /// Body, query, whether the tenant header is sent, what the violation says.
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool, &'a str);
        let cases: [Case; 8] = [
            (ok, &[], false, "xero-tenant-id missing"),
            (
                ok,
                &[("summarize", "false")],
                true,
                "summarize is not declared",
            ),
            (ok, &[("summarizeErrors", "no")], true, "not a boolean"),
            (r#"{"Things":[{"Kind":"A"}]}"#, &[], true, "Name: required"),
            (
                r#"{"Things":[{"Name":"ab","Kind":"C"}]}"#,
                &[],
                true,
                "not one of",
            ),
            (
                r#"{"Things":[{"Name":"abcdef"}]}"#,
                &[],
                true,
                "longer than 5",
            ),
            (
                r#"{"Things":[{"Name":"a","Nmae":"b"}]}"#,
                &[],
                true,
                "not a property",
            ),
            (
                r#"{"Things":[{"Name":"a","Amount":"1.5"}]}"#,
                &[],
                true,
                "expected number",
            ),
        ];
        for (body, query, tenant, expected) in cases {
            let v = api.violations(&request(body, query, tenant));
            assert!(v.iter().any(|m| m.contains(expected)), "{expected}: {v:?}");
        }
        let read_only = r#"{"Things":[{"Name":"a","ID":"00000000-0000-0000-0000-000000000000"}]}"#;
        let v = api.violations(&request(read_only, &[], true));
        assert!(v.iter().any(|m| m.contains("read-only")), "{v:?}");
        let mut wrong = request(ok, &[], true);
        wrong.method = "POST".into();
        assert!(api.violations(&wrong)[0].contains("no post operation"));
        wrong.path = "/api.xro/2.0/Nothing".into();
        assert!(api.violations(&wrong)[0].contains("no such path"));
    }
}
