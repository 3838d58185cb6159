//! The SCIM filter (RFC 7644 §3.4.2.2) of `GET /api/v1/users?filter=...`, restricted to what
//! Qlik's users API documents: `eq` on id, subject, name, email, status, clientId,
//! assignedRoles.id/name, assignedGroups.id and assignedScopes; `co` on name, email and subject;
//! plus `sw` on name and email. Comparisons combine with `and` (binding tighter) and `or`, and
//! group with parentheses. Values are JSON strings in double quotes. Attribute names, operators
//! and string comparisons are case-insensitive ("all conditional statements ... are case
//! insensitive"). Status comparisons must be grouped and applied to the whole query
//! (`(... ) and (status eq "a" or status eq "b")`), as the users API requires.

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Co,
    Sw,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    Or(Vec<Filter>),
    And(Vec<Filter>),
    /// `attr op "value"`; `attr` and `value` are lowercase.
    Compare {
        attr: String,
        op: Op,
        value: String,
    },
}

/// Which attributes take which operator.
const EQ_ATTRS: &[&str] = &[
    "id",
    "subject",
    "name",
    "email",
    "status",
    "clientid",
    "assignedroles.id",
    "assignedroles.name",
    "assignedgroups.id",
    "assignedscopes",
];
const CO_ATTRS: &[&str] = &["name", "email", "subject"];
const SW_ATTRS: &[&str] = &["name", "email"];
/// Which attributes an API's filter takes with which operator, and whether its status
/// comparisons must be grouped and applied to the whole query.
#[derive(Debug)]
pub(crate) struct Rules {
    pub eq: &'static [&'static str],
    pub co: &'static [&'static str],
    pub sw: &'static [&'static str],
    pub group_status: bool,
}

/// The users API's filter (`GET /users?filter=`).
pub(crate) const USERS: Rules = Rules { eq: EQ_ATTRS, co: CO_ATTRS, sw: SW_ATTRS, group_status: true };

/// Nesting deeper than this is refused (it only guards the recursion).
const MAX_DEPTH: usize = 32;

impl Filter {
    /// Parses a filter; `Err` carries a message for a 400.
    pub fn parse(text: &str) -> Result<Filter, String> {
        Filter::parse_with(text, &USERS)
    }

    /// Parses a filter under another API's `rules` (attribute names must be lowercase there).
    pub fn parse_with(text: &str, rules: &'static Rules) -> Result<Filter, String> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, pos: 0, rules };
        let filter = parser.or(0)?;
        if let Some(token) = parser.tokens.get(parser.pos) {
            return Err(format!("unexpected {} in filter", token.describe()));
        }
        if rules.group_status {
            filter.check_status_grouping()?;
        }
        Ok(filter)
    }

    /// Whether a record matches; `values(attr)` gives the record's values of a (lowercase)
    /// attribute, several for multi-valued ones.
    pub fn matches(&self, values: &dyn Fn(&str) -> Vec<String>) -> bool {
        match self {
            Filter::Or(parts) => parts.iter().any(|f| f.matches(values)),
            Filter::And(parts) => parts.iter().all(|f| f.matches(values)),
            Filter::Compare { attr, op, value } => values(attr).iter().any(|v| {
                let v = v.to_lowercase();
                match op {
                    Op::Eq => v == *value,
                    Op::Co => v.contains(value.as_str()),
                    Op::Sw => v.starts_with(value.as_str()),
                }
            }),
        }
    }

    fn mentions_status(&self) -> bool {
        match self {
            Filter::Or(parts) | Filter::And(parts) => parts.iter().any(Filter::mentions_status),
            Filter::Compare { attr, .. } => attr == "status",
        }
    }

    fn only_status(&self) -> bool {
        match self {
            Filter::Or(parts) | Filter::And(parts) => parts.iter().all(Filter::only_status),
            Filter::Compare { attr, .. } => attr == "status",
        }
    }

    /// Status filters must form the whole query or whole top-level `and` operands.
    fn check_status_grouping(&self) -> Result<(), String> {
        let grouped = match self {
            _ if !self.mentions_status() || self.only_status() => true,
            Filter::And(parts) => parts.iter().all(|p| p.only_status() || !p.mentions_status()),
            _ => false,
        };
        if grouped {
            Ok(())
        } else {
            Err("status filters must be grouped together and applied to the whole query, \
                 e.g. (name eq \"Bob\" or name eq \"Alice\") and (status eq \"active\")"
                .into())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Word(String),
    Str(String),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Open => "'('".into(),
            Token::Close => "')'".into(),
            Token::Word(w) => format!("{w:?}"),
            Token::Str(s) => format!("string {s:?}"),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '"' => {
                chars.next();
                let mut escaped = false;
                let end = loop {
                    let Some((i, c)) = chars.next() else {
                        return Err("unterminated string in filter".into());
                    };
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break i,
                        _ => escaped = false,
                    }
                };
                let literal = &text[start..=end];
                let value: String =
                    serde_json::from_str(literal).map_err(|_| format!("invalid string {literal} in filter"))?;
                tokens.push(Token::Str(value));
            }
            c if c.is_ascii_alphanumeric() || "._-$:".contains(c) => {
                let mut word = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if !(c.is_ascii_alphanumeric() || "._-$:".contains(c)) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
            other => return Err(format!("unexpected character {other:?} in filter")),
        }
    }
    if tokens.is_empty() {
        return Err("filter is empty".into());
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    rules: &'static Rules,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn or(&mut self, depth: usize) -> Result<Filter, String> {
        let mut parts = vec![self.and(depth)?];
        while self.peek_word("or") {
            self.pos += 1;
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::Or(parts) })
    }

    fn and(&mut self, depth: usize) -> Result<Filter, String> {
        let mut parts = vec![self.factor(depth)?];
        while self.peek_word("and") {
            self.pos += 1;
            parts.push(self.factor(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::And(parts) })
    }

    fn factor(&mut self, depth: usize) -> Result<Filter, String> {
        if depth > MAX_DEPTH {
            return Err("filter is nested too deeply".into());
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or(depth + 1)?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    Some(other) => Err(format!("expected ')' but found {}", other.describe())),
                    None => Err("missing ')' in filter".into()),
                }
            }
            Some(Token::Word(attr)) => self.comparison(attr),
            Some(other) => Err(format!("expected an attribute but found {}", other.describe())),
            None => Err("filter ends where a comparison was expected".into()),
        }
    }

    fn comparison(&mut self, attr: String) -> Result<Filter, String> {
        let attr_lower = attr.to_ascii_lowercase();
        if ["and", "or", "not"].contains(&attr_lower.as_str()) {
            return Err(format!("expected an attribute but found {attr:?}"));
        }
        let op = match self.next() {
            Some(Token::Word(op)) => op,
            Some(other) => return Err(format!("expected an operator after {attr} but found {}", other.describe())),
            None => return Err(format!("missing operator after {attr}")),
        };
        let rules = self.rules;
        let ops = [(Op::Eq, "eq", rules.eq), (Op::Co, "co", rules.co), (Op::Sw, "sw", rules.sw)];
        let supported: Vec<_> = ops.iter().filter(|(_, _, attrs)| !attrs.is_empty()).collect();
        let Some((op, _, allowed)) = supported.iter().find(|(_, name, _)| op.eq_ignore_ascii_case(name)) else {
            let names: Vec<&str> = supported.iter().map(|(_, name, _)| *name).collect();
            let list = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                _ => names.join(""),
            };
            return Err(format!("unsupported operator {op:?}; use {list}"));
        };
        let (op, allowed) = (*op, *allowed);
        if !allowed.contains(&attr_lower.as_str()) {
            return Err(format!("attribute {attr:?} does not support {}", format!("{op:?}").to_lowercase()));
        }
        let value = match self.next() {
            Some(Token::Str(value)) => value,
            Some(other) => {
                return Err(format!("expected a string in double quotes after {attr} but found {}", other.describe()))
            }
            None => return Err(format!("missing value after {attr}")),
        };
        Ok(Filter::Compare { attr: attr_lower, op, value: value.to_lowercase() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(attr: &str, op: Op, value: &str) -> Filter {
        Filter::Compare { attr: attr.into(), op, value: value.into() }
    }

    #[test]
    fn parses_precedence_parentheses_case_and_escapes() {
        assert_eq!(
            Filter::parse(r#"name co "a" or email co "b" AND subject CO "c""#).unwrap(),
            Filter::Or(vec![
                cmp("name", Op::Co, "a"),
                Filter::And(vec![cmp("email", Op::Co, "b"), cmp("subject", Op::Co, "c")]),
            ])
        );
        assert_eq!(
            Filter::parse(r#"(Name eq "X" or name sw "y") and status eq "active""#).unwrap(),
            Filter::And(vec![
                Filter::Or(vec![cmp("name", Op::Eq, "x"), cmp("name", Op::Sw, "y")]),
                cmp("status", Op::Eq, "active"),
            ])
        );
        assert_eq!(Filter::parse(r#"name eq "say \"hi\" \\ o/""#).unwrap(), cmp("name", Op::Eq, r#"say "hi" \ o/"#));
        assert_eq!(Filter::parse(r#"name eq "caf\u00e9""#).unwrap(), cmp("name", Op::Eq, "café"));
    }

    #[test]
    fn refuses_malformed_and_unsupported_filters() {
        for bad in [
            "",
            "   ",
            "name",
            "name co",
            r#"name co needle"#,
            r#"name co "needle"#,
            r#"name co "a" or"#,
            r#"(name co "a""#,
            r#"name co "a")"#,
            r#"name co "a" name co "b""#,
            r#"name ne "a""#,
            r#"name pr"#,
            r#"status co "act""#,
            r#"id sw "6""#,
            r#"lastUpdatedAt eq "x""#,
            r#"name eq 3"#,
            r#"name eq "\x""#,
            r#"not (name eq "a")"#,
            r#"name eq "a" & email eq "b""#,
            r#"name eq "Bob" or name eq "Alice" and (status eq "active" or status eq "disabled")"#,
            r#"status eq "active" or name co "a""#,
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let deep = format!("{}name eq \"a\"{}", "(".repeat(40), ")".repeat(40));
        assert!(Filter::parse(&deep).is_err());
        let ok = format!("{}name eq \"a\"{}", "(".repeat(5), ")".repeat(5));
        assert!(Filter::parse(&ok).is_ok());
    }

    #[test]
    fn matches_case_insensitively_on_any_value() {
        let f =
            Filter::parse(r#"(name co "NEEDLE" or email sw "zed.") and (status eq "Active" or status eq "invited")"#)
                .unwrap();
        let record = |name: &'static str, email: &'static str, status: &'static str| {
            move |attr: &str| match attr {
                "name" => vec![name.to_string()],
                "email" => vec![email.to_string()],
                "status" => vec![status.to_string()],
                _ => vec![],
            }
        };
        assert!(f.matches(&record("Zed Needle", "n@example.com", "active")));
        assert!(f.matches(&record("Other", "Zed.x@example.com", "invited")));
        assert!(!f.matches(&record("Zed Needle", "n@example.com", "disabled")));
        assert!(!f.matches(&record("Other", "x.zed@example.com", "active")));
        let roles = Filter::parse(r#"assignedRoles.name eq "tenantadmin""#).unwrap();
        assert!(roles.matches(&|attr| match attr {
            "assignedroles.name" => vec!["Viewer".into(), "TenantAdmin".into()],
            _ => vec![],
        }));
    }
}
