"""aioamocrm, unchanged, against the fake amoCRM of `callfull serve`.

aioamocrm (https://github.com/sinnercode228/aioamocrm, PyPI `aioamocrm`) is an
async httpx + pydantic client of the amoCRM / Kommo API v4.
`AmoCRMClient(base_url=..., auth=...)` takes the account's origin for "a proxy
or a test server" (http or https; `subdomain=`/`domain=` would force
`https://{sub}.amocrm.ru|amocrm.com|kommo.com`), sends every call to
`{base_url}/api/v4/{path}` with `Authorization: Bearer`, `Accept:
application/json`, `User-Agent: aioamocrm/0.1.1`, and the token endpoint is
`{base_url}/oauth2/access_token`. Auth is `LongLivedToken(token)` (a 401 is
final) or `OAuth2(client_id, client_secret, redirect_uri, storage)`, whose
`exchange_code()` / refresh POST a JSON grant with client_id, client_secret,
grant_type, code|refresh_token and redirect_uri; after a 401 it refreshes once
and retries.

How it reads answers: 204 (or an empty body) -> nothing (an empty `Page`, or
NotFoundError for one entity); anything else outside 2xx raises an
`AmoCRMError` subclass made from the problem+json (`title`, `detail`, and
`validation-errors` for a 400). Lists send `page=&limit=` and PHP-bracket
filters with indexed arrays (`filter[entity_id][0]=ID`); `iterate()` follows
`_links.next.href` (keeping `limit` and the query) until a page has no `next`
link or no items - a short page does not end the walk. Writes POST the JSON
array and read `_embedded.{entity}[]` as `{id, request_id, entity_id, ...}`.
It has no calls or events resource: those go through its public
`request(method, path, params=, json=)`, the same transport, auth and errors.
The default 7 requests per second limiter is left on, as a user would.

Usage: python amocrm_check.py http://127.0.0.1:PORT [-v]
(-v logs every request the library makes, and the library's own log.)
"""

import asyncio
import json
import logging
import sys
import time
import urllib.error
import urllib.request

from aioamocrm import (AmoCRMClient, AmoCRMError, Contact, LongLivedToken, MemoryTokenStorage,
                       Note, OAuth2, TokenEndpoint, TokenSet)

from portal import Checks, Portal, russian_digits, short

# Where the fake differs from a real account; see Checks in portal.py.
KNOWN_FAKE_BUGS = {}

SOURCE = "callfull-amocrm-check"


class AmoPortal(Portal):
    """The admin side of a running `callfull serve`, its amoCRM half."""

    def __init__(self, base_url):  # pylint: disable=super-init-not-called (that reads the Bitrix24 half)
        self.base = base_url.rstrip("/")
        self.info = self.get("/_admin/info")["amocrm"]

    def state(self):
        return self.get("/_admin/state")["amocrm"]

    def new_code(self):
        return self.post(self.info["oauth"]["new_code_url"].replace(self.base, ""), {})["code"]


def as_dict(value):
    """A model (or a list of them) as the JSON it came from."""
    if isinstance(value, list):
        return [as_dict(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return value


def missing_endpoint(err):
    """The 404 problem the fake gives for a route it does not serve (yet)."""
    return (isinstance(err, AmoCRMError) and err.status_code == 404
            and str(err.detail or "").startswith("Cannot "))


def embedded(answer, key):
    return ((answer or {}).get("_embedded") or {}).get(key) or []


def ids(records):
    return sorted(int(r["id"] if isinstance(r, dict) else r.id) for r in records)


def phones(entity):
    """(value, enum_code) of every PHONE value of an entity."""
    entity = as_dict(entity)
    return [(v.get("value"), v.get("enum_code"))
            for f in entity.get("custom_fields_values") or [] if f.get("field_code") == "PHONE"
            for v in f.get("values") or []]


def unique_phone(state):
    """A visible contact and one of its phones whose digits no other contact,
    company or lead carries, so a `query` by it must find that one contact."""
    seen = {}
    for kind in ("contacts", "companies", "leads"):
        for rec in state[kind]:
            for value, _ in phones(rec):
                d = russian_digits(value)
                seen[d[-10:]] = seen.get(d[-10:], 0) + 1
    for contact in visible(state["contacts"]):
        for value, _ in phones(contact):
            d = russian_digits(value)
            if len(d) == 11 and seen[d[-10:]] == 1:
                return contact, value, d
    raise SystemExit("the seeded amoCRM world has no contact with a unique phone")


def unknown_phone(state):
    known = {russian_digits(v)[-10:] for kind in ("contacts", "companies", "leads")
             for rec in state[kind] for v, _ in phones(rec)}
    return next(n for n in (f"7999{i:07d}" for i in range(10**7)) if n[-10:] not in known)


def visible(contacts):
    """Contacts a list shows: not deleted, not held by an un-accepted unsorted lead."""
    return [c for c in contacts if not c.get("is_deleted") and not c.get("is_unsorted")]


def find_notes(state, uniq):
    """Notes in the admin state with params.uniq == uniq, wherever the state keeps them."""
    found = []
    for key, value in state.items():
        if "note" in key and isinstance(value, list):
            found += [n for n in value if isinstance(n, dict)
                      and (n.get("params") or {}).get("uniq") == uniq]
    return found


def post_json(url, body):
    """POST a JSON body with urllib; (status, parsed body)."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read().decode() or "null")
    except urllib.error.HTTPError as err:
        text = err.read().decode()
        return err.code, (json.loads(text) if text else None)


def error_text(err):
    """What an AmoCRMError carries: the request, the status and the body."""
    if isinstance(err, AmoCRMError):
        return f"{err.method} {err.url} -> {err.status_code} {short(err.body or err.message, 600)}"
    return f"{type(err).__name__}: {short(str(err), 600)}"


def main():
    if "-v" in sys.argv[2:]:
        logging.basicConfig(level=logging.DEBUG, format="    log: %(name)s: %(message)s")
        logging.getLogger("httpcore").setLevel(logging.WARNING)
    portal = AmoPortal(sys.argv[1])
    portal.reset()
    state = portal.state()
    oauth = portal.info["oauth"]
    base = portal.base
    c = Checks("aioamocrm", KNOWN_FAKE_BUGS)
    loop = asyncio.new_event_loop()
    run_started = int(time.time())
    ctx = {}
    uid = state["users"][0]["id"]

    def run(name, scenario):
        """Checks.run of a coroutine; a 404 "Cannot GET …" is named as a route
        the fake does not serve yet, apart from every other disagreement."""
        def wrapped():
            try:
                loop.run_until_complete(scenario())
            except AmoCRMError as err:
                if missing_endpoint(err):
                    raise RuntimeError(f"ENDPOINT MISSING in the fake: {err.detail}") from err
                raise RuntimeError(error_text(err)) from err
        c.run(name, wrapped)

    auth = OAuth2(oauth["client_id"], oauth["client_secret"], oauth["redirect_uri"])
    amo = AmoCRMClient(base_url=base, auth=auth)

    async def oauth_flow():
        c.equal("client: API and token URLs under the fake",
                (amo.api_url, amo.token_url), (base + "/api/v4/", oauth["token_url"]))
        tokens = await amo.exchange_code(portal.new_code())
        c.check("exchange_code: a token set valid for about a day",
                tokens.access_token and tokens.refresh_token
                and 86000 < tokens.expires_at - time.time() <= 86400, repr(tokens))
        again = await auth.refresh(TokenEndpoint(http=amo.http, url=amo.token_url))
        c.check("refresh: new access and refresh tokens",
                again.access_token != tokens.access_token and again.refresh_token != tokens.refresh_token,
                "unchanged")
        account = await amo.account.get()
        c.check("the refreshed token is accepted", account.id, as_dict(account))
        # A stale access token with a live refresh token: the library must refresh
        # after the 401 and retry once.
        stale = OAuth2(oauth["client_id"], oauth["client_secret"], oauth["redirect_uri"],
                       MemoryTokenStorage(TokenSet(access_token="stale-token",
                                                   refresh_token=again.refresh_token,
                                                   expires_at=time.time() + 3600)))
        async with AmoCRMClient(base_url=base, auth=stale) as other:
            account = await other.account.get()
            c.check("401 -> refresh -> retry passes", account.id, as_dict(account))
        # The refresh token used there is spent: a second use must be refused.
        status, body = post_json(oauth["token_url"], {
            "client_id": oauth["client_id"], "client_secret": oauth["client_secret"],
            "grant_type": "refresh_token", "refresh_token": again.refresh_token,
            "redirect_uri": oauth["redirect_uri"]})
        c.check("a spent refresh token is refused (400/401 with a hint)",
                status in (400, 401) and isinstance(body, dict) and body.get("hint"), (status, body))

    async def long_lived():
        async with AmoCRMClient(base_url=base, auth=LongLivedToken(portal.info["access_token"])) as ll:
            account = await ll.account.get()
            c.check("long-lived token: account", account.id, as_dict(account))
        async with AmoCRMClient(base_url=base, auth=LongLivedToken("not-a-token")) as bad:
            try:
                await bad.account.get()
                c.check("a bad long-lived token: AuthError (401)", False, "no error")
            except AmoCRMError as err:
                c.check("a bad long-lived token: AuthError (401)",
                        type(err).__name__ == "AuthError" and err.status_code == 401, error_text(err))

    async def account():
        acc = await amo.account.get()
        c.equal("account: id is the account_id of the seeded leads", acc.id, state["leads"][0]["account_id"])
        c.check("account: current_user_id is a seeded user",
                acc.current_user_id in {u["id"] for u in state["users"]}, acc.current_user_id)
        c.check("account: subdomain, name, currency RUB",
                acc.subdomain and acc.name and getattr(acc, "currency", None) == "RUB", as_dict(acc))
        full = as_dict(await amo.account.get(with_=["users_groups", "task_types", "datetime_settings"]))
        emb = full.get("_embedded") or {}
        groups = {g.get("id") for g in emb.get("users_groups") or []}
        want = {u["rights"].get("group_id") for u in state["users"]} - {None}
        c.check("account with=users_groups: every group of a user is listed", want <= groups,
                f"groups {sorted(groups, key=str)}, users' groups {sorted(want)}")
        c.check("account with=task_types: task types", emb.get("task_types"), short(emb))
        c.check("account with=datetime_settings: a timezone",
                (emb.get("datetime_settings") or {}).get("timezone"), short(emb))

    async def users():
        c.check("the world has more than one page of 7 users", len(state["users"]) > 7,
                f"only {len(state['users'])} users")
        got = [u async for u in amo.users.iterate(limit=7)]
        c.equal("users.iterate(limit=7): every user once, following _links.next",
                ids(got), ids(state["users"]))
        first = await amo.users.get_page(1, limit=7)
        c.check("users page 1: _links.next names page 2",
                first.next_url and "page=2" in first.next_url and first.next_url.startswith(base + "/api/v4/users"),
                first.next_url)
        pages = -(-len(state["users"]) // 7)
        last = await amo.users.get_page(pages, limit=7)
        c.check("users: the last page has no next link", last.items and last.next_url is None,
                (len(last.items), last.next_url))
        past = await amo.users.get_page(pages + 1, limit=7)
        c.equal("users: a page past the end is empty (204)", len(past.items), 0)
        one = state["users"][-1]
        user = await amo.users.get(one["id"], with_=["role", "group"])
        c.equal("users/{id}: name and email", (user.name, user.email), (one["name"], one["email"]))
        c.equal("users/{id}: rights as stored", user.rights, one["rights"])

    contact, phone_value, digits = unique_phone(state)
    ctx["new_phone"] = unknown_phone(state)

    def target():
        """The contact the call, notes and events checks work on: the one added
        by add_contact, or (when that failed) the seeded contact with a unique
        phone, so that those routes are still tried; (id, phone digits, the
        (entity_type, entity_id) pairs a call on that phone may attach to)."""
        if ctx.get("contact_id"):
            return ctx["contact_id"], ctx["new_phone"], [("contact", ctx["contact_id"])]
        print("  note  no contact was added: using the seeded contact", contact["id"])
        active = [("lead", lead["id"]) for lead in state["leads"]
                  if lead["status_id"] not in (142, 143)
                  and contact["id"] in [x["id"] for x in (lead.get("_embedded") or {}).get("contacts") or []]]
        return contact["id"], digits, [("contact", contact["id"])] + active

    async def contact_search():
        listed = [x async for x in amo.contacts.iterate(limit=25)]
        c.equal("contacts.iterate(limit=25): every visible contact once",
                ids(listed), ids(visible(state["contacts"])))
        for variant in dict.fromkeys((phone_value, digits, "+" + digits, "8" + digits[1:], digits[-10:])):
            page = await amo.contacts.get_page(query=variant)
            c.equal(f"contacts?query={variant}: exactly the contact with that phone",
                    ids(page.items), [contact["id"]])
        page = await amo.contacts.get_page(query=digits)
        got = page.items[0] if page.items else Contact()
        c.check("contacts?query=: field_value('PHONE') reads the stored phone",
                phone_value in got.field_values("PHONE"), as_dict(got))
        page = await amo.contacts.get_page(query=unknown_phone(state))
        c.equal("contacts?query=<unknown number>: empty (204)", len(page.items), 0)

    async def add_contact():
        phone = "+" + ctx["new_phone"]
        new = Contact(name="Проверка Клиентов", first_name="Проверка", last_name="Клиентов",
                      responsible_user_id=uid)
        new.set_field("PHONE", phone, enum_code="WORK")
        refs = await amo.contacts.create([new])
        c.check("contacts.create: one ref with an id and request_id \"0\"",
                len(refs) == 1 and refs[0].id and refs[0].request_id == "0", as_dict(refs))
        if not refs or not refs[0].id:
            return
        cid = ctx["contact_id"] = refs[0].id
        stored = next((x for x in portal.state()["contacts"] if x["id"] == cid), None)
        c.check("admin state: the new contact is stored", stored, f"no contact {cid}")
        c.equal("admin state: its PHONE value and enum", phones(stored or {}), [(phone, "WORK")])
        back = await amo.contacts.get(cid)
        field = back.field("PHONE")
        seeded = next(f for x in state["contacts"] for f in x.get("custom_fields_values") or []
                      if f.get("field_code") == "PHONE")
        c.equal("contacts.get: PHONE got the account's field_id", field and field.field_id, seeded["field_id"])
        c.check("contacts.get: the WORK enum got its enum_id",
                field and all(v.enum_id for v in field.values or []), as_dict(field))
        page = await amo.contacts.get_page(query=ctx["new_phone"])
        c.equal("contacts?query=<new phone>: finds the new contact", ids(page.items), [cid])

    async def log_call():
        cid, phone, attach = target()
        uniq = ctx["uniq"] = f"{SOURCE}.{int(time.time())}.in"
        answer = await amo.request("POST", "calls", json=[{
            "direction": "inbound", "uniq": uniq, "duration": 42, "source": SOURCE,
            "link": f"https://rec.example/{uniq}.mp3", "phone": "+" + phone,
            "call_status": 4, "call_result": "Разговор состоялся",
            "call_responsible": uid, "responsible_user_id": uid, "created_by": uid,
        }])
        calls = embedded(answer, "calls")
        c.equal("POST calls: _total_items 1 and no errors",
                ((answer or {}).get("_total_items"), (answer or {}).get("errors")), (1, []))
        first = calls[0] if calls else {}
        c.check("POST calls: attached to the contact (or, for a seeded one, its active lead)",
                (first.get("entity_type"), first.get("entity_id")) in attach,
                f"{(first.get('entity_type'), first.get('entity_id'))} not in {attach}")
        ctx["call_entity"] = (first.get("entity_type"), first.get("entity_id"))
        c.equal("POST calls: request_id \"0\"", first.get("request_id"), "0")
        notes = find_notes(portal.state(), uniq)
        c.equal("admin state: one call_in note with the call's uniq",
                [(n.get("note_type"), n.get("entity_id")) for n in notes], [("call_in", first.get("entity_id"))])
        resource = amo.leads if first.get("entity_type") == "lead" else amo.contacts
        listed = [n async for n in resource.notes.iterate(entity_id=first.get("entity_id") or cid)]
        note = next((as_dict(n) for n in listed if (n.params or {}).get("uniq") == uniq), {})
        c.equal("notes.iterate(entity_id): the call's note, params as sent",
                {k: (note.get("params") or {}).get(k) for k in ("duration", "source", "call_status", "call_result")},
                {"duration": 42, "source": SOURCE, "call_status": 4, "call_result": "Разговор состоялся"})
        unknown = unknown_phone(portal.state())
        try:
            answer = await amo.request("POST", "calls", json=[{
                "direction": "inbound", "uniq": uniq + ".unknown", "duration": 5,
                "source": SOURCE, "phone": unknown}])
            outcome = f"200 {short(answer)}"
            ok = bool((answer or {}).get("errors")) and not embedded(answer, "calls")
        except AmoCRMError as err:
            if missing_endpoint(err):
                raise
            outcome, ok = error_text(err), err.status_code == 400
        c.check("POST calls, unknown number: refused (400, or 200 with errors and no call)", ok, outcome)

    async def add_note():
        cid, phone, _ = target()
        uniq = f"{SOURCE}.{int(time.time())}.out"
        params = {"uniq": uniq, "duration": 17, "source": SOURCE, "phone": "+" + phone,
                  "link": f"https://rec.example/{uniq}.mp3", "call_status": 4,
                  "call_result": "Перезвонить"}
        refs = await amo.contacts.notes.create([
            Note(entity_id=cid, note_type="call_out", params=params, responsible_user_id=uid, created_by=uid),
            Note.common(cid, "проверка"),
        ])
        c.check("contacts.notes.create: two refs with entity_id and request_ids \"0\", \"1\"",
                [(r.entity_id, r.request_id) for r in refs] == [(cid, "0"), (cid, "1")] and all(r.id for r in refs),
                as_dict(refs))
        stored = find_notes(portal.state(), uniq)
        c.equal("admin state: the call_out note with every param",
                [(n.get("note_type"), n.get("entity_id"), n.get("params")) for n in stored],
                [("call_out", cid, params)])
        if refs:
            one = await amo.contacts.notes.get(refs[0].id, entity_id=cid)
            c.equal("contacts.notes.get: type and params round-trip", (one.note_type, one.params),
                    ("call_out", params))
        listed = [n async for n in amo.contacts.notes.iterate(
            filter={"note_type": ["call_out"], "entity_id": [cid]})]
        c.check("contacts/notes?filter[note_type][0]=call_out&filter[entity_id][0]=ID: only ours",
                listed and all(n.note_type == "call_out" and n.entity_id == cid for n in listed)
                and any((n.params or {}).get("uniq") == uniq for n in listed),
                [(n.note_type, n.entity_id) for n in listed])

    async def events():
        cid, _, _ = target()
        answer = await amo.request("GET", "events", params={
            "filter": {"entity": "contact", "entity_id": [cid]}})
        got = embedded(answer, "events")
        types = sorted({e.get("type") for e in got})
        if ctx.get("contact_id"):
            c.check("events for the new contact: contact_added", "contact_added" in types, types)
        if ctx.get("call_entity", ("contact",))[0] == "contact":
            c.check("events for the contact: incoming_call (from POST calls)", "incoming_call" in types, types)
        c.check("events for the contact: outgoing_call (from the call_out note)", "outgoing_call" in types, types)
        c.check("events: ids are strings, entity_type singular, entity_id the contact",
                got and all(isinstance(e.get("id"), str) and e.get("entity_type") == "contact"
                            and e.get("entity_id") == cid for e in got), short(got))
        ours = [e for e in got if e.get("type") in ("incoming_call", "outgoing_call", "contact_added")]
        c.check("events: the call events' created_at is this run's",
                ours and all((e.get("created_at") or 0) >= run_started - 5 for e in ours),
                [e.get("created_at") for e in ours])
        calls = embedded(await amo.request("GET", "events", params={"filter": {"type": "incoming_call"}}), "events")
        c.check("events?filter[type]=incoming_call: only incoming calls, ours among them",
                calls and all(e.get("type") == "incoming_call" for e in calls)
                and any(e.get("entity_id") == cid for e in calls), short(calls))
        both = embedded(await amo.request("GET", "events", params={"filter": {
            "type": ["incoming_call", "outgoing_call"], "entity": "contact", "entity_id": [cid]}}), "events")
        c.equal("events?filter[type][0]=incoming_call&filter[type][1]=outgoing_call: those of the contact",
                sorted(e.get("type") for e in both),
                sorted(t for t in types if t in ("incoming_call", "outgoing_call")))
        c.check("events?filter[type][..]: the outgoing_call is there", "outgoing_call" in
                [e.get("type") for e in both], [e.get("type") for e in both])
        paged, page = [], 1
        while page < 200:
            answer = await amo.request("GET", "events", params={"page": page, "limit": 10})
            items = embedded(answer, "events")
            paged += items
            if not ((answer or {}).get("_links") or {}).get("next"):
                break
            page += 1
        c.check("events: pages of 10 linked by _links.next hold each event once",
                paged and len({e["id"] for e in paged}) == len(paged), f"{len(paged)} events on {page} pages")

    run("OAuth: exchange_code, refresh, 401 -> refresh", oauth_flow)
    run("long-lived token", long_lived)
    run("account", account)
    run("user paging", users)
    run("contact search by phone", contact_search)
    run("add a contact with a PHONE", add_contact)
    run("log a call (POST /api/v4/calls)", log_call)
    run("add notes", add_note)
    run("events", events)
    loop.run_until_complete(amo.aclose())
    loop.close()
    c.finish()


if __name__ == "__main__":
    main()
