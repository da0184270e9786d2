"""b24pysdk, the official Python SDK, unchanged, against `callfull serve`.

b24pysdk (https://github.com/bitrix24/b24pysdk) takes a portal domain and
builds `https://{domain}/rest/{user}/{key}/{method}.json` (webhook) or
`https://{domain}/rest/{method}.json` with `auth` in the body (a token bound
to an app). Every call is a POST with a JSON body; batch commands are
`method?` + urlencode(params), i.e. brackets and `$` percent-encoded, so a
`$result[...]` reference arrives as `%24result%5B...%5D`. `.as_list()` pages
with `total` and batches of `start=50, 100, …`; `.as_list_fast()` pages by ID
(`filter[>ID]` = the last ID of the page before, `start=-1`) with chained
`$result[n][49][ID]` references. It retries HTTP 503 (3 tries by default).

It speaks https only: it runs against `callfull serve --tls`, whose CA file
it trusts through REQUESTS_CA_BUNDLE.

Usage: python b24pysdk_check.py http://127.0.0.1:PORT
"""

import base64
import datetime
import sys
import urllib.parse

from portal import Checks, Portal, russian_digits, unique_contact_phone, unknown_number

MSK = datetime.timezone(datetime.timedelta(hours=3))
RECORD = b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 3

# Where the fake differs from a real portal; see Checks in portal.py.
ENCODED_REF = "batch: a percent-encoded $result[me][ID] reference is resolved"
FAST_USERS = "user.get .as_list_fast(): every employee, once"
ACTIVE_TRUE = "user.get filter ACTIVE=True .as_list(): every active employee, on every page"
KNOWN_FAKE_BUGS = {}


def ids(records):
    return sorted(str(r["ID"]) for r in records)


def main():
    portal = Portal(sys.argv[1])
    portal.reset()
    state = portal.state()
    # `callfull serve --tls`: real-clients.sh exports REQUESTS_CA_BUNDLE (and
    # SSL_CERT_FILE) naming the CA file the server wrote.
    domain = urllib.parse.urlsplit(portal.base).netloc

    from b24pysdk import BitrixApp, BitrixToken, BitrixWebhook, Client, Config
    from b24pysdk.errors import BitrixAPIError

    # Short retry delays for the 503 check (defaults: 1 s, +1 s a retry).
    Config().configure(default_initial_retry_delay=0.2, default_retry_delay_increment=0)

    user_id, key = portal.webhook_url.rstrip("/").split("/")[-2:]
    webhook = BitrixWebhook(domain=domain, webhook_token=f"{user_id}/{key}")
    client = Client(webhook)
    uid = int(user_id)
    c = Checks("b24pysdk", KNOWN_FAKE_BUGS)
    contact, phone_value, digits = unique_contact_phone(state)
    cid = str(contact["ID"])

    def user_paging():
        c.equal("user.get .as_list(): every employee, once",
                ids(client.user.get().as_list().result), ids(state["users"]))
        c.equal(FAST_USERS, ids(client.user.get().as_list_fast().result), ids(state["users"]))
        c.equal("call_list('user.get'): every employee, once",
                ids(webhook.call_list("user.get")["result"]), ids(state["users"]))
        active = [u for u in state["users"] if u["ACTIVE"]]
        c.equal(ACTIVE_TRUE,
                ids(client.user.get(filter={"ACTIVE": True}).as_list().result), ids(active))
        c.equal("crm.contact.list .as_list(): every contact, once",
                ids(client.crm.contact.list(select=["ID", "NAME"]).as_list().result), ids(state["contacts"]))
        c.equal("crm.contact.list .as_list_fast(): every contact, once",
                ids(client.crm.contact.list(select=["ID"]).as_list_fast().result), ids(state["contacts"]))

    def contact_search():
        found = client.crm.contact.list(filter={"PHONE": phone_value}, select=["ID", "PHONE"]).result
        c.equal(f"crm.contact.list filter PHONE={phone_value}", ids(found), [cid])
        dup = client.crm.duplicate.findbycomm(type="PHONE", values=["8" + digits[1:]], entity_type="CONTACT").result
        c.equal("crm.duplicate.findbycomm", {k: [str(i) for i in v] for k, v in dup.items()}, {"CONTACT": [cid]})
        none = client.crm.duplicate.findbycomm(type="PHONE", values=[unknown_number(state)]).result
        c.check("crm.duplicate.findbycomm on an unknown number: nothing", not none, none)
        try:
            client.crm.contact.get(bitrix_id=999999999).result
            c.check("crm.contact.get of a missing ID raises", False, "no exception")
        except BitrixAPIError as err:
            c.check("crm.contact.get of a missing ID raises (HTTP 400, Not found)",
                    getattr(err, "status_code", None) == 400 and "Not found" in str(err), repr(err))

    def batch():
        res = webhook.call_batch({
            "me": ("user.current", {}),
            "contact": ("crm.contact.get", {"id": cid}),
            "dup": ("crm.duplicate.findbycomm", {"type": "PHONE", "values": [digits]}),
            "same": ("user.get", {"ID": "$result[me][ID]"}),
        })["result"]
        c.equal("batch: user.current", str(res["result"]["me"]["ID"]), str(uid))
        c.equal("batch: crm.contact.get", str(res["result"]["contact"]["ID"]), cid)
        c.equal("batch: crm.duplicate.findbycomm", [str(i) for i in res["result"]["dup"].get("CONTACT", [])], [cid])
        c.equal(ENCODED_REF, ids(res["result"]["same"]), [str(uid)])

        some = ids(state["contacts"])[:60]
        many = webhook.call_batches({f"c{n}": ("crm.contact.get", {"id": i}) for n, i in enumerate(some)})
        got = many["result"]["result"]
        c.equal("call_batches: 60 crm.contact.get over two batches",
                sorted(str(v["ID"]) for v in got.values()), some)

    def telephony():
        ext = client.telephony.external_call
        reg = ext.register(phone_number="+" + digits, call_type=2, user_id=uid, crm_create=0, show=0,
                           call_start_date=datetime.datetime.now(MSK).replace(microsecond=0).isoformat()).result
        call_id = reg.get("CALL_ID", "")
        c.check("register: CALL_ID", call_id.startswith("externalCall."), reg)
        c.equal("register: found the contact by phone",
                (reg.get("CRM_ENTITY_TYPE"), str(reg.get("CRM_ENTITY_ID"))), ("CONTACT", cid))
        fin = ext.finish(call_id, user_id=uid, duration=61, status_code="200").result
        c.equal("finish: answered, 61 s", (str(fin.get("CALL_FAILED_CODE")), fin.get("CALL_DURATION")), ("200", 61))
        content = base64.b64encode(RECORD).decode()
        att = ext.attach_record(call_id, filename="record.mp3", file_content=content).result
        c.check("attach_record: FILE_ID", att.get("FILE_ID"), att)
        sent = [e["params"].get("FILE_CONTENT") for e in portal.journal("telephony.externalcall.attachrecord")]
        c.check("attach_record: FILE_CONTENT arrived byte for byte", sent and sent[-1] == content, "differs")
        act = webhook.call_method("crm.activity.get", {"id": fin.get("CRM_ACTIVITY_ID")})["result"]
        c.check("crm.activity.get: the record is on the call's activity",
                any(str(f.get("id")) == str(att.get("FILE_ID")) for f in act.get("FILES") or []), act)

        number = unknown_number(state)
        reg2 = ext.register(phone_number=number, call_type=1, user_id=uid, crm_create=1, show=0).result
        lead = reg2.get("CRM_CREATED_LEAD")
        c.check("register: a lead for an unknown number", lead, reg2)
        got = client.crm.lead.get(bitrix_id=int(lead)).result
        c.check("crm.lead.get: the lead carries the number",
                any(russian_digits(p["VALUE"]) == number for p in got.get("PHONE") or []), got)

    def rate_limit():
        portal.fault(method="user.current", status=503, error="QUERY_LIMIT_EXCEEDED",
                     description="Too many requests", times=2)
        portal.delete("/_admin/journal")
        me = webhook.call_method("user.current")["result"]
        c.equal("503 QUERY_LIMIT_EXCEEDED twice, then the SDK's retry succeeds", str(me["ID"]), str(uid))
        c.equal("the journal: 503, 503, 200", [e["status"] for e in portal.journal("user.current")], [503, 503, 200])
        portal.delete("/_admin/faults")

    def token_form():
        # An access token bound to an app: /rest/{method}.json with "auth" in the body.
        # (Refreshing goes to the vendor's central OAuth host, not to the portal.)
        oauth = portal.info["oauth"]
        app = BitrixApp(client_id=oauth["client_id"], client_secret=oauth["client_secret"])
        token = BitrixToken(domain=domain, auth_token=portal.info["access_token"], bitrix_app=app)
        me = token.call_method("user.current")["result"]
        c.check("token form: user.current", me.get("ID"), me)
        c.equal("token form: user.get .as_list()", ids(Client(token).user.get().as_list().result),
                ids(state["users"]))

    c.run("user paging", user_paging)
    c.run("contact search by phone", contact_search)
    c.run("batch", batch)
    c.run("register -> finish -> attachRecord", telephony)
    c.run("rate limit", rate_limit)
    c.run("token form", token_form)
    c.finish()


if __name__ == "__main__":
    main()
