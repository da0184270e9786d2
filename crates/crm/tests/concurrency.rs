//! 32 concurrent clients × 200 register/finish cycles against the real server
//! over HTTP/1.1 (one keep-alive connection per client): every call is
//! registered and finished exactly once, and the journal and the state agree.
//!
//! Every tenth cycle also finishes its call a second time over HTTP, while
//! the other clients carry on; after the run every call is finished a second
//! time in-process (`Portal::call`, no HTTP: that keeps the test near 10 s in
//! a debug build on two cores) and each gets "Call is not found".

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use callfull_crm::admin::{AdjustableClock, JOURNAL_CAP};
use callfull_crm::bitrix24::{Auth, PortalOptions};
use callfull_crm::{ManualClock, spawn};
use callfull_world::World;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

const CLIENTS: usize = 32;
const CYCLES: usize = 200;
const CALLS: usize = CLIENTS * CYCLES;
/// Every this many cycles, a client finishes its call again over HTTP.
const AGAIN_EVERY: usize = 10;
const REGISTER: &str = "telephony.externalcall.register";
const FINISH: &str = "telephony.externalcall.finish";
const NOT_FOUND: &str = "Call is not found (call should be registered prior to finishing";

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The server's clock stands still here: the dedup window never closes.
const T0: i64 = 1_794_899_703_000_000;

/// A minimal HTTP/1.1 client: one keep-alive connection, one request at a time.
struct Client {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Result<Self, Error> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Client { sender, host: addr.to_string() })
    }

    async fn request(&mut self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), Error> {
        self.sender.ready().await?;
        let mut builder = hyper::Request::builder().method(method).uri(path).header("host", &self.host);
        let body = match body {
            Some(b) => {
                builder = builder.header("content-type", "application/json");
                Bytes::from(b.to_string())
            }
            None => Bytes::new(),
        };
        let response = self.sender.send_request(builder.body(Full::new(body))?).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, serde_json::from_slice(&bytes)?))
    }
}

/// What one client did: `(EXTERNAL_CALL_ID, CALL_ID, USER_ID)` per cycle.
type Done = Vec<(String, String, String)>;

async fn client(
    addr: SocketAddr,
    hook: String,
    t: usize,
    user: String,
    contacts: Arc<Vec<String>>,
) -> Result<Done, Error> {
    let mut http = Client::connect(addr).await?;
    let mut done = Vec::with_capacity(CYCLES);
    for i in 0..CYCLES {
        // Distinct phone and EXTERNAL_CALL_ID per cycle: the 30-minute dedup
        // (user, phone, TYPE, line, EXTERNAL_CALL_ID) must not merge any two.
        // An explicit CRM binding gives every finish a call activity.
        let external = format!("c{t}.{i}");
        let register = json!({
            "USER_ID": user, "PHONE_NUMBER": format!("+7999{t:03}{i:04}"), "TYPE": 2,
            "EXTERNAL_CALL_ID": external, "CRM_ENTITY_TYPE": "CONTACT",
            "CRM_ENTITY_ID": contacts[(t * CYCLES + i) % contacts.len()],
        });
        let (status, body) = http.request("POST", &format!("{hook}{REGISTER}"), Some(&register)).await?;
        assert_eq!(status, 200, "register {external}: {body}");
        let call_id = body["result"]["CALL_ID"].as_str().ok_or("no CALL_ID")?.to_owned();

        let finish = json!({"CALL_ID": call_id, "USER_ID": user, "DURATION": i % 5});
        let (status, body) = http.request("POST", &format!("{hook}{FINISH}"), Some(&finish)).await?;
        assert_eq!(status, 200, "finish {call_id}: {body}");
        assert_eq!(body["result"]["CALL_ID"], call_id);

        if i % AGAIN_EVERY == 0 {
            let (status, body) = http.request("POST", &format!("{hook}{FINISH}"), Some(&finish)).await?;
            assert_eq!(
                (status, body),
                (400, json!({"error": "", "error_description": NOT_FOUND})),
                "a second finish of {call_id}"
            );
        }
        done.push((external, call_id, user.clone()));
    }
    Ok(done)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_clients_register_and_finish_every_call_exactly_once() -> Result<(), Error> {
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(T0)));
    let options = PortalOptions { rate_limit: None, ..PortalOptions::default() };
    let server = spawn(World::from_seed(7), "127.0.0.1:0".parse()?, clock, options).await?;
    let addr = server.addr();
    let hook = server.bitrix24().webhook_path();
    let seeded = server.bitrix24().dump();
    let users: Vec<String> = seeded["users"]
        .as_array()
        .ok_or("no users")?
        .iter()
        .filter(|u| u["ACTIVE"] == true)
        .filter_map(|u| u["ID"].as_str().map(str::to_owned))
        .collect();
    let contacts: Arc<Vec<String>> = Arc::new(
        seeded["contacts"]
            .as_array()
            .ok_or("no contacts")?
            .iter()
            .filter_map(|c| c["ID"].as_str().map(str::to_owned))
            .collect(),
    );
    assert!(!users.is_empty() && !contacts.is_empty());

    let tasks: Vec<_> = (0..CLIENTS)
        .map(|t| tokio::spawn(client(addr, hook.clone(), t, users[t % users.len()].clone(), contacts.clone())))
        .collect();
    let mut done: Vec<(String, String, String)> = Vec::with_capacity(CALLS);
    for task in tasks {
        done.extend(task.await??);
    }

    // Every register gave a new CALL_ID.
    let by_call: HashMap<&str, (&str, &str)> =
        done.iter().map(|(e, c, u)| (c.as_str(), (e.as_str(), u.as_str()))).collect();
    assert_eq!(by_call.len(), CALLS, "6400 distinct CALL_IDs");

    // A second finish of every call, in-process: each is refused, and the
    // state is left as it was.
    let parts: Vec<&str> = hook.split('/').filter(|p| !p.is_empty()).collect();
    let auth = Auth::Webhook { user: parts[1], code: parts[2] };
    for (_, call_id, user) in &done {
        let params = json!({"CALL_ID": call_id, "USER_ID": user});
        let again = server.bitrix24().call(&auth, FINISH, params.as_object().ok_or("params")?, T0);
        let error = again.err().ok_or_else(|| format!("{call_id} finished twice"))?;
        assert_eq!((error.status, error.code.as_ref(), error.description.as_str()), (400, "", NOT_FOUND));
    }

    // The state: no call left active; one statistics row and one activity per
    // call, each for the call the client registered.
    let state = server.bitrix24().dump();
    let telephony = &state["telephony"];
    assert_eq!(telephony["active_calls"], json!([]), "no active calls left");
    let rows = telephony["finished_calls"].as_array().ok_or("no finished_calls")?;
    assert_eq!(rows.len(), CALLS);
    let mut row_ids = HashSet::new();
    let mut finished = HashMap::new();
    for row in rows {
        let call_id = row["CALL_ID"].as_str().ok_or("row without CALL_ID")?;
        let (external, user) = by_call.get(call_id).copied().ok_or_else(|| format!("unknown call {call_id}"))?;
        assert_eq!(row["EXTERNAL_CALL_ID"], external);
        assert_eq!(row["PORTAL_USER_ID"].to_string(), user);
        assert!(finished.insert(call_id, external).is_none(), "{call_id} finished twice");
        assert!(row_ids.insert(row["ID"].as_u64().ok_or("row ID is not an int")?));
    }
    assert_eq!(row_ids, (1..=CALLS as u64).collect::<HashSet<_>>(), "statistics IDs 1..=6400");
    let activities = telephony["activities"].as_array().ok_or("no activities")?;
    let origins: HashSet<&str> = activities.iter().filter_map(|a| a["ORIGIN_ID"].as_str()).collect();
    assert_eq!((activities.len(), origins.len()), (CALLS, CALLS));
    assert!(by_call.keys().all(|c| origins.contains(format!("VI_{c}").as_str())));
    let ext_to_call: HashMap<&str, &str> = finished.iter().map(|(c, e)| (*e, *c)).collect();

    // The journal. The clients made 13 440 HTTP requests (6400 registers,
    // 6400 finishes, 640 second finishes) and it keeps the last 10 000
    // (JOURNAL_CAP; the in-process finishes above are not HTTP requests and
    // not journaled). Read per method, what is checked is:
    // - every request was journaled exactly once: the kept entries, merged,
    //   have consecutive seq numbers ending at 13 440;
    // - each kept entry has the status the client saw (register 200, finish
    //   200, second finish 400 with `error: ""`);
    // - per call (a register found by its EXTERNAL_CALL_ID, a finish by its
    //   CALL_ID, both mapped through the state's statistics rows), the kept
    //   entries are a suffix of register → finish [→ finish again] in seq
    //   order, and every such call is in the state: a client's requests are
    //   sequential, so only its oldest kept cycle can be cut, at most one per
    //   client.
    let total = (CALLS * 2 + CLIENTS * CYCLES.div_ceil(AGAIN_EVERY)) as u64;
    let mut admin = Client::connect(addr).await?;
    let mut entries = Vec::new();
    for method in [REGISTER, FINISH] {
        let (status, mut journal) = admin.request("GET", &format!("/_admin/journal?method={method}"), None).await?;
        assert_eq!(status, 200);
        let Value::Array(kept) = journal["entries"].take() else { return Err("no entries".into()) };
        assert!(kept.windows(2).all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64()), "{method}: in seq order");
        entries.extend(kept);
    }
    entries.sort_by_key(|e| e["seq"].as_u64());
    let seqs: Vec<u64> = entries.iter().filter_map(|e| e["seq"].as_u64()).collect();
    let gap = seqs.windows(2).position(|w| w[1] != w[0] + 1);
    assert_eq!(
        (seqs.len(), seqs.last().copied(), gap.map(|i| &seqs[i..(i + 8).min(seqs.len())])),
        (JOURNAL_CAP, Some(total), None),
        "the kept entries are numbered consecutively up to {total}"
    );

    // call → the kind of each kept entry (0 register, 1 finish, 2 finish again), in seq order.
    let mut steps: HashMap<&str, Vec<u8>> = HashMap::new();
    for e in &entries {
        let params = &e["params"];
        let (call, step) = match (e["method"].as_str(), e["status"].as_u64(), e["error"].as_str()) {
            (Some(REGISTER), Some(200), None) => {
                let external = params["EXTERNAL_CALL_ID"].as_str().ok_or("register without EXTERNAL_CALL_ID")?;
                (*ext_to_call.get(external).ok_or_else(|| format!("{external} never finished"))?, 0)
            }
            (Some(FINISH), Some(200), None) => (params["CALL_ID"].as_str().ok_or("finish without CALL_ID")?, 1),
            (Some(FINISH), Some(400), Some("")) => (params["CALL_ID"].as_str().ok_or("finish without CALL_ID")?, 2),
            _ => return Err(format!("unexpected journal entry {e}").into()),
        };
        assert!(finished.contains_key(call), "{call} is not in the statistics");
        steps.entry(call).or_default().push(step);
    }
    let again: HashSet<&str> = done
        .iter()
        .filter(|(external, _, _)| {
            external.rsplit('.').next().and_then(|i| i.parse::<usize>().ok()).is_some_and(|i| i % AGAIN_EVERY == 0)
        })
        .map(|(_, call, _)| call.as_str())
        .collect();
    let mut cut = 0;
    for (call, kinds) in &steps {
        let whole: &[u8] = if again.contains(call) { &[0, 1, 2] } else { &[0, 1] };
        assert!(whole.ends_with(kinds), "{call}: journal steps {kinds:?}, not a suffix of {whole:?}");
        cut += usize::from(kinds.len() < whole.len());
    }
    assert!(cut <= CLIENTS, "{cut} cycles cut at the window's start, at most one per client");
    drop(server);
    Ok(())
}
