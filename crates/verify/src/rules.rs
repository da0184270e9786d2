//! The rules, each with a stable id, a slug, its usual severity and the
//! section of the vendor contract it comes from (`/work/shared/spec/…`,
//! listed in docs/verify.md). Every rule's doc comment cites its source.

use serde::Serialize;

/// How bad a breach is. Warnings are the rules the contract only hints at
/// (or where the journal cannot tell); `--strict` makes them errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The contract says so (or the CRM would refuse it).
    Error,
    /// Likely a mistake; the contract does not say it is one.
    Warning,
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $name:ident = ($id:literal, $slug:literal, $severity:ident, $source:literal, $summary:literal); )*) => {
        /// A rule of the vendor contract, checked on the journal.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Rule {
            $( $(#[$doc])* $name, )*
        }

        impl Rule {
            /// Every rule, in id order.
            pub const ALL: &'static [Rule] = &[$(Rule::$name),*];

            /// Stable id: `B24-LIFE-1`.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$name => $id,)* }
            }

            /// Short name: `registered-first`.
            pub fn slug(self) -> &'static str {
                match self { $(Rule::$name => $slug,)* }
            }

            /// The usual severity (a breach may be milder, e.g. when the journal cannot tell).
            pub fn severity(self) -> Severity {
                match self { $(Rule::$name => Severity::$severity,)* }
            }

            /// Where the contract says it: spec file and section.
            pub fn source(self) -> &'static str {
                match self { $(Rule::$name => $source,)* }
            }

            /// What it checks, in one line.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$name => $summary,)* }
            }
        }
    };
}

rules! {
    /// The journal has gaps in `seq` (kept only the last 10 000, or was
    /// filtered): what happened before is unknown, so lifecycle breaches that
    /// depend on it are warnings. Source: docs/crm.md (admin API), A-VERIFY-6.
    JournalGap = ("JRN-1", "journal-gap", Warning, "docs/crm.md, admin API (journal cap)",
        "seq runs from 1 without gaps; otherwise lifecycle breaches that need earlier requests are warnings");

    /// `register` needs `USER_ID` (int > 0) or `USER_PHONE_INNER`.
    /// Source: bitrix24-rest.md §4.1 (table; error "USER_ID or USER_PHONE_INNER should be set"); itgrix-connector.md §6.1.
    B24RegisterUser = ("B24-REG-1", "register-user", Error, "bitrix24-rest.md §4.1; itgrix-connector.md §6.1",
        "register: USER_ID (int > 0) or USER_PHONE_INNER is set");
    /// `register` needs `PHONE_NUMBER` with at least one digit.
    /// Source: bitrix24-rest.md §4.1 ("letters are stripped; an empty result gives Unsupported phone number format").
    B24RegisterPhone = ("B24-REG-2", "register-phone", Error, "bitrix24-rest.md §4.1",
        "register: PHONE_NUMBER is set and holds digits");
    /// `register` needs `TYPE` 1–5 (5 only in the newest docs: a warning).
    /// Source: bitrix24-rest.md §4.1, §4.3 (call types), §8 question 7.
    B24RegisterType = ("B24-REG-3", "register-type", Error, "bitrix24-rest.md §4.1, §4.3, §8 q7",
        "register: TYPE is an int 1..4 (5, informational, is a warning)");
    /// `CALL_START_DATE`, when given, is ISO 8601 with a zone.
    /// Source: bitrix24-rest.md §4.1 ("CALL_START_DATE should be in the ISO-8601 format"); itgrix-connector.md §6.1.
    B24RegisterDate = ("B24-REG-4", "register-start-date", Error, "bitrix24-rest.md §4.1; itgrix-connector.md §6.1",
        "register: CALL_START_DATE, when set, is YYYY-MM-DDTHH:MM:SS with Z or ±HH:MM");
    /// The optional `register` parameters have their types: flags 0/1,
    /// `CRM_ENTITY_TYPE` CONTACT|COMPANY|LEAD with `CRM_ENTITY_ID` (both or
    /// neither), `CALL_LIST_ID` int, `LINE_NUMBER` ≤ 50 characters.
    /// Source: bitrix24-rest.md §4.1 (table).
    B24RegisterOptional = ("B24-REG-5", "register-optional", Error, "bitrix24-rest.md §4.1",
        "register: CRM_CREATE/SHOW/ADD_TO_CHAT 0|1, CRM_ENTITY_TYPE+CRM_ENTITY_ID together, CALL_LIST_ID int, LINE_NUMBER ≤ 50 chars");
    /// `EXTERNAL_CALL_ID` should be sent: without it two concurrent calls
    /// between the same numbers share a CALL_ID. Source: bitrix24-rest.md §4.1
    /// (re-registration and dedup, \[OBS\] #175, "Always send EXTERNAL_CALL_ID").
    B24RegisterExternalId = ("B24-REG-6", "register-external-id", Warning, "bitrix24-rest.md §4.1 (dedup, [OBS] #175)",
        "register: EXTERNAL_CALL_ID is sent");

    /// `finish` needs `CALL_ID`, a string.
    /// Source: bitrix24-rest.md §4.2 (table; `INVALID_ARGUMENT` / "CALL_ID must be a string").
    B24FinishCallId = ("B24-FIN-1", "finish-call-id", Error, "bitrix24-rest.md §4.2",
        "finish: CALL_ID is set and a string");
    /// `finish` needs `USER_ID` or `USER_PHONE_INNER`.
    /// Source: bitrix24-rest.md §4.2 (table and errors); itgrix-connector.md §6.1.
    B24FinishUser = ("B24-FIN-2", "finish-user", Error, "bitrix24-rest.md §4.2; itgrix-connector.md §6.1",
        "finish: USER_ID (int > 0) or USER_PHONE_INNER is set");
    /// The optional `finish` parameters have their types: `DURATION` int ≥ 0,
    /// `VOTE` int 0–5, `COST` a number, `ADD_TO_CHAT` 0/1, `STATUS_CODE` a string.
    /// Source: bitrix24-rest.md §4.2 (table).
    B24FinishTyped = ("B24-FIN-3", "finish-typed", Error, "bitrix24-rest.md §4.2",
        "finish: DURATION int ≥ 0, VOTE int 0..5, COST number, ADD_TO_CHAT 0|1, STATUS_CODE string");
    /// `STATUS_CODE` and `DURATION` should be sent, and `STATUS_CODE` be one
    /// of the codes the portal knows; otherwise the portal derives a status
    /// from the duration. Source: bitrix24-rest.md §4.2 (defaults), §4.3 (codes).
    B24FinishStatus = ("B24-FIN-4", "finish-status", Warning, "bitrix24-rest.md §4.2, §4.3",
        "finish: DURATION and STATUS_CODE are sent, STATUS_CODE among 200 304 603 603-S 403 404 486 484 503 480 402 423 OTHER");

    /// `show`/`hide` need `CALL_ID` (a string); `USER_ID`, when given, is an
    /// int or an array of ints. Source: bitrix24-rest.md §4.5.
    B24ShowParams = ("B24-SHOW-1", "show-hide-params", Error, "bitrix24-rest.md §4.5",
        "show/hide: CALL_ID is set and a string; USER_ID an int or an array of ints");
    /// `show`/`hide` without `USER_ID` push to the registering user only.
    /// Source: bitrix24-rest.md §4.5 ("Default: the registering user"; ring groups name the members).
    B24ShowUser = ("B24-SHOW-2", "show-hide-user", Warning, "bitrix24-rest.md §4.5",
        "show/hide: USER_ID names whom the card is for");
    /// `attachRecord` needs `CALL_ID` and `RECORD_URL` or `FILENAME`;
    /// `FILENAME` ends in .wav or .mp3; `FILE_CONTENT` is base64.
    /// Source: bitrix24-rest.md §4.4 (modes and errors).
    B24RecordParams = ("B24-REC-1", "attach-record-params", Error, "bitrix24-rest.md §4.4",
        "attachRecord: CALL_ID; RECORD_URL or FILENAME; FILENAME .wav|.mp3; FILE_CONTENT base64");

    /// `show`, `hide`, `finish` and `attachRecord` name a CALL_ID that an
    /// earlier `register` answered (or an `ONEXTERNALCALLSTART` carried).
    /// Source: bitrix24-rest.md §4.2 ("Call is not found (call should be
    /// registered prior to finishing"), §4.5, §4.8, §6 (sequences).
    B24Registered = ("B24-LIFE-1", "registered-first", Error, "bitrix24-rest.md §4.2, §4.5, §4.8, §6",
        "show/hide/finish/attachRecord use a CALL_ID registered earlier (register or ONEXTERNALCALLSTART)");
    /// A call is finished once: finish deletes the active call, a second one
    /// fails. Source: bitrix24-rest.md §4.2 (side effect 5, errors), §7 item 12.
    B24OneFinish = ("B24-LIFE-2", "one-finish", Error, "bitrix24-rest.md §4.2 (side effects), §7.12",
        "one finish per CALL_ID");
    /// `attachRecord` comes after `finish` of that call.
    /// Source: bitrix24-rest.md §4.4 ("Must be called after finish"; "Looks like it is not finished yet").
    B24RecordAfterFinish = ("B24-LIFE-3", "record-after-finish", Error, "bitrix24-rest.md §4.4",
        "attachRecord after the call's finish");
    /// `show`/`hide` after `finish` do nothing (the answer is `false`).
    /// Source: bitrix24-rest.md §4.5 ("false if the call is unknown or already finished").
    B24PushAfterFinish = ("B24-LIFE-4", "push-after-finish", Warning, "bitrix24-rest.md §4.5",
        "no show/hide after the call's finish");
    /// Every registered call is finished (else its card and active call
    /// stay). Source: bitrix24-rest.md §6 (sequences 2–5), §4.2, §7 item 10.
    B24Finished = ("B24-LIFE-5", "finished-at-end", Warning, "bitrix24-rest.md §4.2, §6, §7.10",
        "every registered call is finished by the end of the journal");
    /// CALL_IDs look like the portal's: `externalCall.<32 hex>.<unix time>`.
    /// Source: bitrix24-rest.md §4.1 ("The CALL_ID format"); itgrix-connector.md §6.1.
    B24CallIdShape = ("B24-ID-1", "call-id-shape", Warning, "bitrix24-rest.md §4.1; itgrix-connector.md §6.1",
        "CALL_ID is externalCall.<32 hex>.<unix time>");
    /// Telephony commands inside `batch` are not checked by verify.
    /// Source: bitrix24-rest.md §1.8 (sub-results are not journaled).
    B24Batch = ("B24-BATCH-1", "batch-unchecked", Warning, "bitrix24-rest.md §1.8",
        "telephony commands inside batch (their answers are not in the journal; not checked)");

    /// amoCRM write bodies (POST/PATCH on a collection) are a non-empty JSON
    /// array of objects, at most 250. Source: amocrm-api.md §1.1 ("Write
    /// endpoints take a JSON array"), §6 item 3.
    AmoBody = ("AMO-BODY-1", "write-body", Error, "amocrm-api.md §1.1, §6.3",
        "POST/PATCH bodies are a non-empty JSON array of objects (≤ 250)");
    /// A call needs `direction` inbound|outbound, `duration` int ≥ 0,
    /// `source` and `phone` strings. Source: amocrm-api.md §4.1 (table), §6 item 8; itgrix-connector.md §6.2.
    AmoCallRequired = ("AMO-CALL-1", "call-required", Error, "amocrm-api.md §4.1, §6.8; itgrix-connector.md §6.2",
        "POST /calls: direction inbound|outbound, duration int ≥ 0, source, phone");
    /// A call's optional fields have their types: `call_status` 1–7 (8, the
    /// PHP library's "undefined", a warning), `uniq`/`link`/`call_result`
    /// strings, `call_responsible` int or string, user ids and times ints,
    /// `request_id` a string. Source: amocrm-api.md §4.1, §7 question 11.
    AmoCallTyped = ("AMO-CALL-2", "call-typed", Error, "amocrm-api.md §4.1, §7 q11",
        "POST /calls: call_status 1..7, uniq/link/call_result strings, call_responsible int|string, ids and times ints");
    /// A call's phone belongs to a contact or company the account has: the
    /// seeded world, or one created earlier in the journal, or one an earlier
    /// search found. Source: amocrm-api.md §4.1 ("used to find the entity"),
    /// §6 item 8; itgrix-connector.md §6.2 ("not added if nothing matches").
    AmoCallKnownPhone = ("AMO-CALL-3", "call-known-phone", Error, "amocrm-api.md §4.1, §6.8; itgrix-connector.md §6.2",
        "POST /calls: the phone's last 10 digits belong to a contact or company the account has");
    /// A call carries `uniq`, and no `uniq` is logged twice.
    /// Source: amocrm-api.md §4.1 (`uniq`: "use for dedup"), S2 (dedup advice).
    AmoCallUniq = ("AMO-CALL-4", "call-uniq", Warning, "amocrm-api.md §4.1 (uniq), S2",
        "POST /calls: uniq is sent, and each uniq is logged once");
    /// An unsorted SIP item: `source_uid`, `source_name` strings, `metadata`
    /// an object with typed fields, at most one lead/contact/company
    /// embedded. Source: amocrm-api.md §4.2 (tables); itgrix-connector.md §6.2.
    AmoSipShape = ("AMO-SIP-1", "sip-shape", Error, "amocrm-api.md §4.2; itgrix-connector.md §6.2",
        "POST /leads/unsorted/sip: source_uid, source_name, metadata{uniq, phone, called_at, duration, …} typed; ≤ 1 of each embedded");
    /// No two unsorted entries with the same data (`source_uid` and `metadata.uniq`).
    /// Source: amocrm-api.md §4.2 ("there cannot be two identical unsorted entries").
    AmoSipUnique = ("AMO-SIP-2", "sip-unique", Error, "amocrm-api.md §4.2 (rules)",
        "POST /leads/unsorted/sip: each (source_uid, metadata.uniq) once");
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.id(), self.slug())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}
