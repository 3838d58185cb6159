//! The studio's connection: kept server-side, shown to the page only redacted (its secrets are
//! never sent back once entered), and written into command lines with each secret as an
//! environment variable reference.

use serde_json::{json, Map, Value};

/// A connection (its JSON form, as `qlik-harness call --connection` takes it) and whether it is
/// the studio's own simulated tenant.
#[derive(Clone, Debug)]
pub struct Connection {
    value: Value,
    simulated: bool,
}

impl Connection {
    /// A connection to a tenant the user named.
    pub fn custom(value: Value) -> Connection {
        Connection { value, simulated: false }
    }

    /// The connection to the studio's embedded simulated tenant.
    pub fn simulated(value: Value) -> Connection {
        Connection { value, simulated: true }
    }

    /// The connection's JSON form.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Whether it is the embedded simulated tenant.
    pub fn is_simulated(&self) -> bool {
        self.simulated
    }

    /// The connection `entered` on the page: a secret left empty keeps the one stored now, when
    /// the connection type is the same (the page never holds a stored secret to send back) and
    /// it was entered too (not the simulated tenant's).
    pub fn entered(&self, mut entered: Map<String, Value>, secrets: &[String]) -> Connection {
        let same_type = !self.simulated && entered.get("type") == self.value.get("type");
        for name in secrets {
            let empty = entered.get(name).is_none_or(|v| v.is_null() || v.as_str() == Some(""));
            if empty {
                entered.remove(name);
                if let (true, Some(kept)) = (same_type, self.value.get(name)) {
                    entered.insert(name.clone(), kept.clone());
                }
            }
        }
        entered.retain(|_, v| !(v.is_null() || v.as_str() == Some("")));
        Connection::custom(Value::Object(entered))
    }

    /// What the page may see: every field but the secrets, and which secrets are set.
    pub fn redacted(&self, secrets: &[String]) -> Value {
        let mut fields = Map::new();
        let mut set = Vec::new();
        for (name, value) in self.value.as_object().into_iter().flatten() {
            if secrets.contains(name) {
                set.push(json!(name));
            } else {
                fields.insert(name.clone(), value.clone());
            }
        }
        json!({"simulated": self.simulated, "fields": fields, "secretsSet": set})
    }

    /// The `--connection` argument of a command line, quoted for a POSIX shell, with each secret
    /// read from an environment variable ([`secret_variable`]) instead of written out.
    pub fn shell_argument(&self, secrets: &[String]) -> String {
        let mut shown = self.value.clone();
        for (name, value) in shown.as_object_mut().into_iter().flatten() {
            if secrets.contains(name) {
                *value = json!(placeholder(name));
            }
        }
        let mut argument = shell_quote(&shown.to_string());
        for name in secrets {
            let quoted = format!("\"{}\"", placeholder(name));
            argument = argument.replace(&quoted, &format!("\"'\"${}\"'\"", secret_variable(name)));
        }
        argument
    }

    /// The environment variables a command line for this connection reads, with the values the
    /// user must give them: none is known to the page, except the embedded simulated tenant's
    /// API key, the public default of `qlik-harness simulate`.
    pub fn variables(&self, secrets: &[String]) -> Vec<Value> {
        let object = self.value.as_object();
        secrets
            .iter()
            .filter(|name| object.is_some_and(|o| o.contains_key(name.as_str())))
            .map(|name| {
                let known = self.simulated && name == "apiKey";
                let value = if known { self.value[name.as_str()].clone() } else { Value::Null };
                json!({"name": secret_variable(name), "input": name, "value": value})
            })
            .collect()
    }
}

fn placeholder(name: &str) -> String {
    format!("@@secret:{name}@@")
}

/// The environment variable a command line reads a secret input from: `apiKey` → `QLIK_API_KEY`.
pub fn secret_variable(input: &str) -> String {
    let mut name = String::from("QLIK_");
    for c in input.chars() {
        if c.is_ascii_uppercase() {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

/// `text` in single quotes for a POSIX shell.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// `text` as one shell word: as it is when it holds only characters no shell treats specially,
/// else single-quoted.
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        text.to_string()
    } else {
        shell_quote(text)
    }
}

/// The keys of every password input of the manifest's connections.
pub fn secret_inputs(manifest: &Value) -> Vec<String> {
    let mut names: Vec<String> = manifest["connections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["inputs"].as_array().into_iter().flatten())
        .filter(|i| i["type"] == "password")
        .filter_map(|i| i["key"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Vec<String> {
        vec!["apiKey".into(), "clientSecret".into()]
    }

    #[test]
    fn secrets_are_never_shown() {
        let c = Connection::custom(json!({"type": "apiKey", "apiKey": "S3CRET", "tenant": "acme.eu"}));
        let shown = c.redacted(&secrets()).to_string();
        assert!(!shown.contains("S3CRET"), "{shown}");
        assert!(shown.contains("acme.eu"));
        let argument = c.shell_argument(&secrets());
        assert_eq!(argument, r#"'{"type":"apiKey","apiKey":"'"$QLIK_API_KEY"'","tenant":"acme.eu"}'"#);
        assert_eq!(c.variables(&secrets()), vec![json!({"name": "QLIK_API_KEY", "input": "apiKey", "value": null})]);
    }

    #[test]
    fn an_empty_secret_keeps_the_stored_one_of_the_same_type() {
        let c = Connection::custom(json!({"type": "apiKey", "apiKey": "S3CRET", "tenant": "acme.eu"}));
        let entered = json!({"type": "apiKey", "apiKey": "", "tenant": "acme.us"});
        let kept = c.entered(entered.as_object().unwrap().clone(), &secrets());
        assert_eq!(kept.value(), &json!({"type": "apiKey", "tenant": "acme.us", "apiKey": "S3CRET"}));
        let other = json!({"type": "oauth2", "apiKey": "", "clientId": "c"});
        let not_kept = c.entered(other.as_object().unwrap().clone(), &secrets());
        assert_eq!(not_kept.value(), &json!({"type": "oauth2", "clientId": "c"}));
    }

    #[test]
    fn the_simulated_tenants_key_is_not_kept_for_another_tenant() {
        let c = Connection::simulated(json!({"type": "apiKey", "apiKey": "sim", "tenant": "http://127.0.0.1:1"}));
        let entered = json!({"type": "apiKey", "apiKey": "", "tenant": "acme.eu"});
        assert_eq!(
            c.entered(entered.as_object().unwrap().clone(), &secrets()).value(),
            &json!({"type": "apiKey", "tenant": "acme.eu"})
        );
    }

    #[test]
    fn quotes_survive_the_shell() {
        assert_eq!(shell_quote("it's"), r#"'it'\''s'"#);
        assert_eq!(secret_variable("clientSecret"), "QLIK_CLIENT_SECRET");
    }
}
