//! Rules R07–R14: values that each have the right type but do not agree with
//! one another. All are **[derived]** (see `docs/ASSUMPTIONS.md`): warnings
//! unless strict. A value of the wrong type is skipped here; R01–R06 report it.

use super::json::{Json, Object};

use super::{Finding, Rule, Severity};
use crate::DateTime;

struct Checker<'a> {
    out: &'a mut Vec<Finding>,
    severity: Severity,
}

impl Checker<'_> {
    fn report(&mut self, path: String, rule: Rule, found: String, expected: impl Into<String>) {
        self.out.push(Finding { path, rule, severity: self.severity, found, expected: expected.into() });
    }
}

fn str_of<'v>(object: &'v Object, key: &str) -> Option<&'v str> {
    object.get(key)?.as_str()
}

fn bool_of(object: &Object, key: &str) -> Option<bool> {
    object.get(key)?.as_bool()
}

fn time_of(object: &Object, key: &str) -> Option<DateTime> {
    DateTime::parse(str_of(object, key)?).ok()
}

fn obj<'v>(object: &'v Object, key: &str) -> Option<&'v Object> {
    object.get(key)?.as_object()
}

pub(crate) fn check(call_full: &Json, out: &mut Vec<Finding>, strict: bool) {
    let Some(call) = call_full.as_object() else { return };
    let mut c = Checker { out, severity: if strict { Severity::Error } else { Severity::Warning } };

    let main = obj(call, "channel");
    let main_id = main.and_then(|ch| str_of(ch, "id"));
    if let Some(main) = main {
        channel(&mut c, "call_full.channel", main, None);
    }

    let mut answered = Vec::new();
    if let Some(conversations) = obj(call, "conversations") {
        for (key, conversation) in conversations.iter() {
            let Some(ch) = conversation.as_object().and_then(|c| obj(c, "channel")) else { continue };
            let path = format!("call_full.conversations[{key:?}].channel");
            if let Some(id) = str_of(ch, "id").filter(|id| *id != key) {
                c.report(
                    format!("{path}.id"),
                    Rule::ConversationKeys,
                    format!("{id:?}"),
                    format!("{key:?}, the conversation's key"),
                );
            }
            channel(&mut c, &path, ch, Some(main_id));
            if bool_of(ch, "was_answered") == Some(true) {
                answered.push(key);
            }
        }
        if let Some(active) =
            str_of(call, "active_conversation_id").filter(|a| !a.is_empty() && !conversations.contains_key(a))
        {
            let keys: Vec<String> = conversations.keys().map(|k| format!("{k:?}")).collect();
            let expected = if keys.is_empty() {
                "\"\" (there are no conversations)".to_owned()
            } else {
                format!("\"\" or one of {}", keys.join(", "))
            };
            c.report(
                "call_full.active_conversation_id".into(),
                Rule::ConversationKeys,
                format!("{active:?}"),
                expected,
            );
        }
    }

    for key in ["entity", "deal"] {
        let Some(e) = obj(call, key) else { continue };
        if let Some(phones) = e.get("phones").and_then(Json::as_array) {
            for (i, phone) in phones.iter().enumerate() {
                if let Some(n) = phone.as_object() {
                    variants(&mut c, &format!("call_full.{key}.phones[{i}]"), n);
                }
            }
        }
        let responsible = obj(e, "responsible").and_then(|r| str_of(r, "id"));
        if let (Some(rid), Some(id)) = (str_of(e, "responsible_id"), responsible).filter_both(|a, b| a != b) {
            c.report(
                format!("call_full.{key}.responsible.id"),
                Rule::References,
                format!("{id:?}"),
                format!("{rid:?}, the {key}'s responsible_id"),
            );
        }
    }

    if let (Some(reg), Some(entity)) = (obj(call, "registration"), obj(call, "entity")) {
        for (reg_key, entity_key) in [("entity_id", "id"), ("entity_type", "type")] {
            if let (Some(r), Some(e)) =
                (str_of(reg, reg_key), str_of(entity, entity_key)).filter_both(|r, e| !r.is_empty() && r != e)
            {
                c.report(
                    format!("call_full.registration.{reg_key}"),
                    Rule::References,
                    format!("{r:?}"),
                    format!("{e:?}, entity.{entity_key}"),
                );
            }
        }
    }

    if bool_of(call, "is_ivr") == Some(true) && !answered.is_empty() {
        c.report(
            "call_full.is_ivr".into(),
            Rule::Outcome,
            "true".into(),
            format!("false: conversation {:?} was answered", answered[0]),
        );
    }
    if let Some(result) = call.get("result").and_then(Json::as_i64) {
        match (result == 200, answered.first()) {
            (true, None) => c.report(
                "call_full.result".into(),
                Rule::Outcome,
                "200".into(),
                "not 200: no conversation was answered",
            ),
            (false, Some(key)) => c.report(
                "call_full.result".into(),
                Rule::Outcome,
                result.to_string(),
                format!("200: conversation {key:?} was answered"),
            ),
            _ => {}
        }
    }
}

/// Checks one channel. `main_id` is `None` for the main channel, and the
/// main channel's id (if it has one) for a conversation channel.
fn channel(c: &mut Checker, path: &str, ch: &Object, main_id: Option<Option<&str>>) {
    // R07
    if let Some(primary) = bool_of(ch, "is_primary") {
        match main_id {
            None if !primary => c.report(
                format!("{path}.is_primary"),
                Rule::Primary,
                "false".into(),
                "true: the main channel is the linkedid's",
            ),
            Some(Some(main)) => {
                let is_main = str_of(ch, "id") == Some(main);
                if primary != is_main {
                    let expected = if is_main {
                        "true: its id is the main channel's id (the linkedid)"
                    } else {
                        "false: its id is not the main channel's id (the linkedid)"
                    };
                    c.report(format!("{path}.is_primary"), Rule::Primary, primary.to_string(), expected);
                }
            }
            _ => {}
        }
    }

    // R09
    let (start, answer, end) = (time_of(ch, "start_time"), time_of(ch, "answer_time"), time_of(ch, "end_time"));
    let set = |t: Option<DateTime>| t.and_then(DateTime::get);
    let order = [("start_time", set(start)), ("answer_time", set(answer)), ("end_time", set(end))];
    for (i, (later_key, later)) in order.iter().enumerate() {
        let Some(later) = later else { continue };
        if let Some((earlier_key, earlier)) = order[..i].iter().rev().find_map(|(k, t)| t.map(|t| (k, t))) {
            if *later < earlier {
                c.report(
                    format!("{path}.{later_key}"),
                    Rule::TimeOrder,
                    format!("\"{later}\""),
                    format!("not before {earlier_key} \"{earlier}\""),
                );
            }
        }
    }
    if let (Some(was), Some(answer)) = (bool_of(ch, "was_answered"), answer) {
        if was == answer.is_zero() {
            let expected = if was { "false: answer_time is the zero datetime" } else { "true: answer_time is set" };
            c.report(format!("{path}.was_answered"), Rule::TimeOrder, was.to_string(), expected);
        }
    }

    // R10
    if let (Some(state), Some(answer), Some(end)) = (str_of(ch, "state"), answer, end) {
        let (answered, ended) = (!answer.is_zero(), !end.is_zero());
        let expected = match state {
            "ringing" if answered || ended => Some("answer_time and end_time zero while ringing"),
            "talking" if !answered || ended => Some("answer_time set and end_time zero while talking"),
            "ended" | "processed" if !ended => Some("end_time set once ended"),
            _ => None,
        };
        if let Some(expected) = expected {
            c.report(
                format!("{path}.state"),
                Rule::StateTimes,
                format!("{state:?} with answer_time \"{answer}\" and end_time \"{end}\""),
                expected,
            );
        }
    }

    // R11, R12
    let mut is_local = [None, None];
    for (i, key) in ["from", "to", "trunk"].into_iter().enumerate() {
        if let Some(n) = obj(ch, key) {
            variants(c, &format!("{path}.{key}"), n);
            if i < 2 {
                is_local[i] = bool_of(n, "is_local");
            }
        }
    }
    if let (Some(kind), [Some(from), Some(to)]) = (str_of(ch, "type"), is_local) {
        let want = match kind {
            "local" => Some((true, true)),
            "incoming" => Some((false, true)),
            "outgoing" => Some((true, false)),
            _ => None,
        };
        if let Some(want) = want.filter(|w| *w != (from, to)) {
            let word = |local: bool| if local { "local" } else { "external" };
            c.report(
                format!("{path}.type"),
                Rule::CallType,
                format!("{kind:?} with from {} and to {}", word(from), word(to)),
                format!("from {} and to {} for {kind:?}, or a type that fits", word(want.0), word(want.1)),
            );
        }
    }
}

/// R11 on one number object.
fn variants(c: &mut Checker, path: &str, n: &Object) {
    let (Some(base), Some(list)) = (str_of(n, "base"), n.get("variants").and_then(Json::as_array)) else { return };
    let list: Vec<&str> = list.iter().filter_map(Json::as_str).collect();
    match list.first() {
        None if base.is_empty() => {}
        None => c.report(format!("{path}.variants"), Rule::Variants, "[]".into(), format!("[{base:?}, …]: base first")),
        Some(first) if *first != base => {
            c.report(format!("{path}.variants[0]"), Rule::Variants, format!("{first:?}"), format!("{base:?}, the base"))
        }
        _ => {}
    }
    for (i, variant) in list.iter().enumerate().filter(|(_, v)| !v.ends_with(base)) {
        c.report(
            format!("{path}.variants[{i}]"),
            Rule::Variants,
            format!("{variant:?}"),
            format!("a prefix followed by the base {base:?}"),
        );
    }
}

/// `(Option<A>, Option<B>)` → `Some` only when both are set and `keep` holds.
trait FilterBoth<A, B> {
    fn filter_both(self, keep: impl FnOnce(&A, &B) -> bool) -> (Option<A>, Option<B>);
}

impl<A, B> FilterBoth<A, B> for (Option<A>, Option<B>) {
    fn filter_both(self, keep: impl FnOnce(&A, &B) -> bool) -> (Option<A>, Option<B>) {
        match self {
            (Some(a), Some(b)) if keep(&a, &b) => (Some(a), Some(b)),
            _ => (None, None),
        }
    }
}
