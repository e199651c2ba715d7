//! `folio replay DOC`: re-derives a document's stored coding suggestions with the rule pack and
//! model versions stored with them, shows whether the same result comes out, and then what
//! today's rules and model would change. Nothing is written.
//!
//! What the stored data honestly allows:
//!
//! * **Rules** — re-derived exactly. The rule packs in use when the suggestions were made are
//!   known from the audit log (the last `rule_packs.save` before them names each pack's version
//!   and content hash) and their texts from the pack archive (migration 0007). A workspace whose
//!   packs were replaced before the archive existed cannot re-derive them; the replay says so.
//! * **The learned model** — not kept: a model is trained from the workspace's history and
//!   approved lines, and only its version (a fingerprint of what it learned from) is stored with
//!   a suggestion. When today's model has the same version, its proposals are re-derived;
//!   otherwise they are shown as stored, with both versions.
//! * **Fallbacks** — re-derived from today's master data and settings (which are not versioned);
//!   a difference is reported as such.
//! * **A person's values** — decisions, not derivations: shown as recorded.

use crate::coding::Sources;
use crate::dto_approvals::{ReplayChange, ReplayField, ReplayView};
use crate::error::{AppError, ErrorCode};
use crate::workspace::{Workspace, not_found, parse_document_id};
use folio_coding::rules::RuleSet;
use folio_coding::suggest::{Explanation, Source};
use folio_store::StoredSuggestion;
use std::collections::BTreeMap;

/// The stored proposal that wins a field: person > rule > model > fixed, then by confidence.
fn winner<'a>(rows: &[&'a StoredSuggestion]) -> Option<&'a StoredSuggestion> {
    let rank = |s: &str| match s {
        "person" => 0,
        "rule" => 1,
        "model" => 2,
        _ => 3,
    };
    rows.iter()
        .min_by(|a, b| {
            rank(&a.proposal.source)
                .cmp(&rank(&b.proposal.source))
                .then(b.proposal.confidence.cmp(&a.proposal.confidence))
        })
        .copied()
}

fn model_version(s: &StoredSuggestion) -> Option<String> {
    match serde_json::from_str::<Explanation>(&s.proposal.explanation_json) {
        Ok(Explanation::Model { model_version, .. }) => Some(model_version),
        _ => None,
    }
}

/// `(line, field key)` → every value each source proposes in a coding.
type Proposed = BTreeMap<(u32, String), Vec<(Source, String)>>;

fn proposed(coded: &crate::coding::Coded) -> Proposed {
    let mut out = Proposed::new();
    for line in &coded.coded.lines {
        for field in &line.fields {
            out.insert(
                (line.line_no, field.field.key()),
                field
                    .proposals
                    .iter()
                    .map(|p| (p.source, p.value.clone()))
                    .collect(),
            );
        }
    }
    out
}

fn chosen(coded: &crate::coding::Coded) -> BTreeMap<(u32, String), (String, Source)> {
    let mut out = BTreeMap::new();
    for line in &coded.coded.lines {
        for field in &line.fields {
            if let Some(p) = field.chosen() {
                out.insert(
                    (line.line_no, field.field.key()),
                    (p.value.clone(), p.source),
                );
            }
        }
    }
    out
}

impl Workspace {
    /// The rule packs in use just before `at`, from the audit log and the pack archive: the set,
    /// or why it cannot be rebuilt.
    fn rule_set_at(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(Result<RuleSet, String>, Vec<String>), AppError> {
        let saves = self.store.audit_events(Some(("rule_packs", "")))?;
        let Some(save) = saves.iter().rev().find(|e| e.at <= at) else {
            return Ok((
                RuleSet::new(Vec::new()).map_err(|e| e.to_string()),
                Vec::new(),
            ));
        };
        let names: Vec<String> = save
            .after_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        let mut packs = Vec::new();
        for name in &names {
            // "pack_id version+hash12"
            let Some((pack_id, version)) = name.split_once(' ') else {
                return Ok((
                    Err(format!("the audit log names a pack as '{name}'")),
                    names,
                ));
            };
            let prefix = version.rsplit_once('+').map_or("", |(_, h)| h);
            match self.store.archived_rule_pack(pack_id, prefix)? {
                Some(p) => match folio_coding::rules::load_pack(
                    &format!("rule pack {pack_id} {version} (archived)"),
                    &p.source_text,
                ) {
                    Ok(pack) => packs.push(pack),
                    Err(e) => return Ok((Err(e.to_string()), names)),
                },
                None => {
                    return Ok((
                        Err(format!(
                            "rule pack {pack_id} {version} was replaced before Folio kept the \
                             texts of earlier packs, so its rule proposals are shown as stored"
                        )),
                        names,
                    ));
                }
            }
        }
        Ok((RuleSet::new(packs).map_err(|e| e.to_string()), names))
    }

    /// Replays the coding of document `id` (see the module docs). Any user may; nothing is
    /// written.
    pub fn replay(&self, id: &str) -> Result<ReplayView, AppError> {
        self.role()?;
        let id = parse_document_id(id)?;
        let stored = self.store.get_document(id)?.ok_or_else(|| not_found(id))?;
        let suggestions = self.store.suggestions(id)?;
        let derived: Vec<&StoredSuggestion> = suggestions
            .iter()
            .filter(|s| s.proposal.source != Source::Person.as_str())
            .collect();
        let Some(made_at) = derived.iter().map(|s| s.created_at).max() else {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!("{id} has no stored suggestions to replay: `folio journal {id}` codes it"),
            ));
        };
        let mut notes = Vec::new();
        let (then_rules, packs_then) = self.rule_set_at(made_at)?;
        let rules_known = then_rules.is_ok();
        let then_rules = match then_rules {
            Ok(rules) => rules,
            Err(why) => {
                notes.push(why);
                self.rule_set_in_use()?
            }
        };
        let then_sources: Sources = self.sources(then_rules)?;
        let replayed = self.code(&then_sources, &stored)?;
        let replayed_proposals = proposed(&replayed);
        let model_now = then_sources.model_version();
        let model_then: Option<String> = derived.iter().find_map(|s| model_version(s));
        let model_same = model_then.is_some() && model_then == model_now;
        if let Some(then) = &model_then
            && !model_same
        {
            notes.push(format!(
                "the learned model that made these suggestions (version {then}) is not kept; today's \
                 is {}: its proposals are shown as stored, not re-derived",
                model_now.as_deref().unwrap_or("untrained")
            ));
        }
        notes.push(
            "fallback values are re-derived from today's master data and settings, which are \
             not versioned"
                .into(),
        );

        let mut fields = Vec::new();
        let mut all_same = true;
        for s in &suggestions {
            let p = &s.proposal;
            let key = (p.line_no, p.field.clone());
            let source = Source::parse(&p.source);
            let (status, replayed_value) = match source {
                Some(Source::Person) => ("recorded".to_owned(), None),
                Some(Source::Rule) if !rules_known => ("not re-derived".to_owned(), None),
                Some(Source::Model) if !model_same => ("not re-derived".to_owned(), None),
                Some(source) => {
                    let values: Vec<&String> = replayed_proposals
                        .get(&key)
                        .map(|v| {
                            v.iter()
                                .filter(|(s, _)| *s == source)
                                .map(|(_, v)| v)
                                .collect()
                        })
                        .unwrap_or_default();
                    if values.contains(&&p.value) {
                        ("same".to_owned(), Some(p.value.clone()))
                    } else {
                        all_same = false;
                        (
                            "different".to_owned(),
                            Some(
                                values
                                    .first()
                                    .map_or_else(|| "(none)".to_owned(), |v| (*v).clone()),
                            ),
                        )
                    }
                }
                None => ("not re-derived".to_owned(), None),
            };
            fields.push(ReplayField {
                line: p.line_no,
                field: p.field.clone(),
                source: p.source.clone(),
                value: p.value.clone(),
                confidence: p.confidence.to_string(),
                status,
                replayed: replayed_value,
                made_at: s
                    .created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                made_by: s.created_by.clone(),
            });
        }

        // Today: what the packs in use and today's model decide, against what was decided then.
        let today = self.code(&self.sources(self.rule_set_in_use()?)?, &stored)?;
        let now = chosen(&today);
        let mut by_field: BTreeMap<(u32, String), Vec<&StoredSuggestion>> = BTreeMap::new();
        for s in &suggestions {
            by_field
                .entry((s.proposal.line_no, s.proposal.field.clone()))
                .or_default()
                .push(s);
        }
        let mut changes = Vec::new();
        for (key, rows) in &by_field {
            let Some(then) = winner(rows) else { continue };
            match now.get(key) {
                Some((value, source)) if *value == then.proposal.value => {
                    let _ = source;
                }
                other => changes.push(ReplayChange {
                    line: key.0,
                    field: key.1.clone(),
                    then_value: then.proposal.value.clone(),
                    then_source: then.proposal.source.clone(),
                    today_value: other.map(|(v, _)| v.clone()),
                    today_source: other.map(|(_, s)| s.as_str().to_owned()),
                }),
            }
        }
        for (key, (value, source)) in &now {
            if !by_field.contains_key(key) {
                changes.push(ReplayChange {
                    line: key.0,
                    field: key.1.clone(),
                    then_value: String::new(),
                    then_source: String::new(),
                    today_value: Some(value.clone()),
                    today_source: Some(source.as_str().to_owned()),
                });
            }
        }
        Ok(ReplayView {
            document_id: id.to_string(),
            suggested_at: made_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            rule_packs_then: packs_then,
            rule_packs_now: self
                .rules_in_use()?
                .iter()
                .map(|p| {
                    format!(
                        "{} {}+{}",
                        p.id,
                        p.version,
                        p.content_hash.get(..12).unwrap_or("")
                    )
                })
                .collect(),
            model_then,
            model_now,
            same: all_same,
            fields,
            changes,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_store::{DocumentId, NewSuggestion};
    use rust_decimal::Decimal;

    fn s(source: &str, value: &str, confidence: &str) -> StoredSuggestion {
        StoredSuggestion {
            document: DocumentId(1),
            proposal: NewSuggestion {
                line_no: 1,
                field: "account".into(),
                source: source.into(),
                value: value.into(),
                confidence: confidence.parse::<Decimal>().unwrap(),
                explanation_json: "{}".into(),
                learn: true,
            },
            created_at: chrono::DateTime::UNIX_EPOCH,
            created_by: "clerk".into(),
        }
    }

    #[test]
    fn the_stored_winner_follows_the_precedence() {
        let (fixed, model, rule, person) = (
            s("fixed", "4900", "0.1"),
            s("model", "4930", "0.9"),
            s("rule", "4940", "1"),
            s("person", "4950", "1"),
        );
        assert_eq!(winner(&[&fixed, &model]).unwrap().proposal.value, "4930");
        assert_eq!(
            winner(&[&model, &rule, &fixed]).unwrap().proposal.value,
            "4940"
        );
        assert_eq!(winner(&[&rule, &person]).unwrap().proposal.value, "4950");
    }
}
