"""fast_bitrix24, unchanged, against `callfull serve`.

fast_bitrix24 (https://github.com/leshchenko1979/fast_bitrix24) takes the
webhook URL and POSTs every call as a JSON body to `{webhook}{method}`; it
pages `get_all()` by reading `total` from the first page and fetching the rest
as `batch` calls of `method?start=50&…` commands, and `call()` wraps even one
call in a `batch` (the parameters then travel PHP-bracket-encoded inside the
command string). `raw=True` sends one plain JSON call.

Usage: python fast_bitrix24_check.py http://127.0.0.1:PORT
"""

import asyncio
import base64
import datetime
import json
import sys
import urllib.parse
import urllib.request
import warnings

import aiohttp
from fast_bitrix24 import Bitrix, BitrixAsync
from fast_bitrix24.server_response import ErrorInServerResponseException

from portal import Checks, Portal, russian_digits, unique_contact_phone, unknown_number

# Where the fake differs from a real portal; see Checks in portal.py.
ACTIVE_TRUE = "user.get FILTER[ACTIVE]=True: every active employee, on every page"
KNOWN_FAKE_BUGS = {}

MSK = datetime.timezone(datetime.timedelta(hours=3))
# A fake recording: an MP3 tag, then every byte value, so that its base64 has
# both '+' and '/' (the characters form and query encoding get wrong).
RECORD = b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 3


def ids(records):
    return sorted(str(r["ID"]) for r in records)


def only_value(answer):
    """`call()` with one item answers {"order0000000000": result} for a result
    with several keys, and unwraps a one-key result ({"FILE_ID": 7} -> 7)."""
    if isinstance(answer, dict) and len(answer) == 1 and next(iter(answer)).startswith("order"):
        return next(iter(answer.values()))
    return answer


def main():
    portal = Portal(sys.argv[1])
    portal.reset()
    state = portal.state()
    c = Checks("fast_bitrix24", KNOWN_FAKE_BUGS)
    b = Bitrix(portal.webhook_url, verbose=False)
    uid = portal.webhook_user_id
    contact, phone_value, digits = unique_contact_phone(state)
    cid = str(contact["ID"])

    def user_paging():
        c.check("the world has more than one page of users", len(state["users"]) > 50,
                f"only {len(state['users'])} users")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            users = b.get_all("user.get")
        c.equal("user.get: every employee, once", ids(users), ids(state["users"]))
        c.equal("user.get: no paging warning from the library",
                [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)], [])
        pages = [e for e in portal.journal("batch")
                 if any("user.get" in cmd and "start=50" in cmd for cmd in e["params"]["cmd"].values())]
        c.check("user.get: pages after the first came through batch", pages, "no batch with start=50")

        active = [u for u in state["users"] if u["ACTIVE"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            filtered = b.get_all("user.get", {"FILTER": {"ACTIVE": True}})
        c.equal(ACTIVE_TRUE, ids(filtered), ids(active))

        contacts = b.get_all("crm.contact.list", {"select": ["ID", "NAME", "LAST_NAME", "PHONE"]})
        c.equal("crm.contact.list: every contact, once", ids(contacts), ids(state["contacts"]))
        got = next((x for x in contacts if str(x["ID"]) == cid), {})
        c.check("crm.contact.list: selected PHONE multi-field comes back",
                any(p["VALUE"] == phone_value for p in got.get("PHONE", [])), got)

    def contact_search():
        found = b.get_all("crm.contact.list", {"filter": {"PHONE": phone_value},
                                               "select": ["ID", "NAME", "LAST_NAME", "PHONE"]})
        c.equal(f"crm.contact.list filter[PHONE]={phone_value}", ids(found), [cid])

        other_format = "8" + digits[1:]
        raw = b.call("crm.duplicate.findbycomm",
                     {"type": "PHONE", "values": [other_format], "entity_type": "CONTACT"}, raw=True)
        c.equal(f"crm.duplicate.findbycomm {other_format} (raw JSON call)",
                {k: [str(i) for i in v] for k, v in raw["result"].items()}, {"CONTACT": [cid]})
        # Through call(): batched, and the library flattens {"CONTACT": [id]} to the id.
        batched = b.call("crm.duplicate.findbycomm",
                         {"type": "PHONE", "values": ["+" + digits], "entity_type": "CONTACT"})
        c.equal("crm.duplicate.findbycomm through call() (batched)", str(batched), cid)

        unknown = unknown_number(state)
        none = b.call("crm.duplicate.findbycomm", {"type": "PHONE", "values": [unknown]}, raw=True)
        c.equal("crm.duplicate.findbycomm on an unknown number", none["result"], [])

    def batch():
        n_users = len(state["users"])
        res = b.call_batch({"halt": 0, "cmd": {
            "me": "user.current",
            "same": "user.get?ID=$result[me][ID]",
            "contact": f"crm.contact.get?id={cid}",
            "dup": f"crm.duplicate.findbycomm?type=PHONE&values[0]={digits}",
            "page2": "user.get?start=50",
        }})
        c.equal("batch: user.current", str(res["me"]["ID"]), str(uid))
        c.equal("batch: $result[me][ID] reference", ids(res["same"]), [str(uid)])
        c.equal("batch: crm.contact.get", str(res["contact"]["ID"]), cid)
        c.equal("batch: crm.duplicate.findbycomm", [str(i) for i in res["dup"]["CONTACT"]], [cid])
        c.equal("batch: user.get?start=50 is the second page", len(res["page2"]), min(50, n_users - 50))

        some = ids(state["contacts"])[:7]
        got = b.call("crm.contact.get", [{"id": i} for i in some])
        c.equal("call(): seven crm.contact.get in one batch, in order", [str(x["ID"]) for x in got], some)
        by_id = b.get_by_ID("crm.contact.get", some)
        c.equal("get_by_ID(): keyed by ID", sorted(str(k) for k in by_id), some)

        try:
            b.call_batch({"halt": 0, "cmd": {"ok": "user.current", "bad": "crm.contact.get?id=999999999"}})
            c.check("batch: a failing command raises", False, "no exception")
        except ErrorInServerResponseException as err:
            errors = err.args[0]
            c.check("batch: a failing command's error stays inside (result_error)",
                    isinstance(errors, dict) and set(errors) == {"bad"}
                    and errors["bad"].get("error_description") == "Not found", errors)

    def telephony_json():
        start = datetime.datetime.now(MSK).replace(microsecond=0).isoformat()
        reg = b.call("telephony.externalcall.register", {
            "USER_ID": uid, "PHONE_NUMBER": "+" + digits, "TYPE": 2,
            "CALL_START_DATE": start, "CRM_CREATE": 0, "SHOW": 0,
        }, raw=True)["result"]
        call_id = reg.get("CALL_ID", "")
        c.check("register: CALL_ID externalCall.<hex>.<unix>", call_id.startswith("externalCall."), reg)
        c.equal("register: found the contact by phone",
                (reg.get("CRM_ENTITY_TYPE"), str(reg.get("CRM_ENTITY_ID"))), ("CONTACT", cid))

        fin = b.call("telephony.externalcall.finish", {
            "CALL_ID": call_id, "USER_ID": uid, "DURATION": 42, "STATUS_CODE": "200",
        }, raw=True)["result"]
        c.equal("finish: answered, 42 s", (str(fin.get("CALL_FAILED_CODE")), fin.get("CALL_DURATION")), ("200", 42))
        activity_id = fin.get("CRM_ACTIVITY_ID")
        c.check("finish: a call activity", activity_id, fin)

        content = base64.b64encode(RECORD).decode()
        assert "+" in content and "/" in content
        att = b.call("telephony.externalcall.attachRecord", {
            "CALL_ID": call_id, "FILENAME": "record.mp3", "FILE_CONTENT": content,
        }, raw=True)["result"]
        file_id = att.get("FILE_ID")
        c.check("attachRecord: FILE_ID", file_id, att)
        sent = [e["params"].get("FILE_CONTENT") for e in portal.journal("telephony.externalcall.attachrecord")]
        c.check("attachRecord: FILE_CONTENT arrived byte for byte", sent and sent[-1] == content,
                "differs from what was sent")

        act = b.call("crm.activity.get", {"id": activity_id}, raw=True)["result"]
        c.equal("crm.activity.get: the call's activity", act.get("ORIGIN_ID"), f"VI_{call_id}")
        c.check("crm.activity.get: the record is on it",
                any(str(f.get("id")) == str(file_id) for f in act.get("FILES") or []), act.get("FILES"))

        try:
            b.call("telephony.externalcall.finish", {"CALL_ID": call_id, "USER_ID": uid}, raw=True)
            c.check("finish twice fails", False, "no exception")
        except aiohttp.ClientResponseError as err:
            c.equal("finish twice fails (HTTP 400)", err.status, 400)

    def telephony_batched():
        # Unknown number, CRM_CREATE=1, every call through call(), i.e. batch
        # commands with bracket-encoded parameters.
        number = unknown_number(state)
        reg = only_value(b.call("telephony.externalcall.register", {
            "USER_ID": uid, "PHONE_NUMBER": "+" + number, "TYPE": 1,
            "CALL_START_DATE": datetime.datetime.now(MSK).replace(microsecond=0).isoformat(),
            "CRM_CREATE": 1, "SHOW": 0,
        }))
        lead = reg.get("CRM_CREATED_LEAD")
        c.check("register (batched): a lead for the unknown number", lead and reg.get("CRM_ENTITY_TYPE") == "LEAD", reg)

        fin = only_value(b.call("telephony.externalcall.finish", {
            "CALL_ID": reg["CALL_ID"], "USER_ID": uid, "DURATION": 0, "STATUS_CODE": "304",
        }))
        c.equal("finish (batched): not answered", str(fin.get("CALL_FAILED_CODE")), "304")

        att = only_value(b.call("telephony.externalcall.attachRecord", {
            "CALL_ID": reg["CALL_ID"], "FILENAME": "missed.mp3",
            "FILE_CONTENT": base64.b64encode(RECORD).decode(),
        }))
        c.check("attachRecord (batched): FILE_ID", isinstance(att, int) and att > 0, att)

        got = b.call("crm.lead.get", {"id": lead}, raw=True)["result"]
        c.check("crm.lead.get: the new lead carries the number",
                any(russian_digits(p["VALUE"]) == number for p in got.get("PHONE") or []), got)
        act = b.call("crm.activity.get", {"id": fin["CRM_ACTIVITY_ID"]}, raw=True)["result"]
        c.check("crm.activity.get: the record is on the lead's call",
                len(act.get("FILES") or []) == 1 and str(act.get("OWNER_ID")) == str(lead), act)

    def rate_limit():
        portal.fault(method="crm.contact.list", status=503, error="QUERY_LIMIT_EXCEEDED",
                     description="Too many requests", times=2)
        portal.delete("/_admin/journal")
        got = b.get_all("crm.contact.list", {"select": ["ID"]})
        c.equal("503 QUERY_LIMIT_EXCEEDED twice, then the library's retry gets everything",
                ids(got), ids(state["contacts"]))
        statuses = [e["status"] for e in portal.journal("crm.contact.list")]
        c.equal("the journal: 503, 503, 200", statuses[:3], [503, 503, 200])
        portal.delete("/_admin/faults")

    def oauth():
        oauth_info = portal.info["oauth"]
        grants = []

        def token(params):
            query = urllib.parse.urlencode({"client_id": oauth_info["client_id"],
                                            "client_secret": oauth_info["client_secret"], **params})
            with urllib.request.urlopen(oauth_info["token_url"] + "?" + query, timeout=10) as resp:
                return json.load(resp)

        async def token_func():
            if not grants:
                code = portal.post("/_admin/oauth/code", {})["code"]
                grant = token({"grant_type": "authorization_code", "code": code})
            else:
                grant = token({"grant_type": "refresh_token", "refresh_token": grants[-1]["refresh_token"]})
            grants.append(grant)
            return grant["access_token"]

        async def run():
            # The token form: /rest/{method} with "auth" in the JSON body.
            api = BitrixAsync(portal.info["oauth_endpoint"], token_func=token_func, verbose=False)
            me = await api.call("user.current", raw=True)
            users = await api.get_all("user.get")
            portal.advance_clock(3601)  # the access token expires
            again = await api.call("user.current", raw=True)
            return me, users, again

        me, users, again = asyncio.run(run())
        c.check("OAuth: user.current with the access token", me.get("result", {}).get("ID"), me)
        c.equal("OAuth: user.get pages with the token", ids(users), ids(state["users"]))
        c.equal("OAuth: after expiry the library refreshed the token and retried",
                (len(grants), again.get("result", {}).get("ID")), (2, me.get("result", {}).get("ID")))
        statuses = [(e["auth"], e["status"], e["error"]) for e in portal.journal("user.current")]
        c.check("OAuth: the journal shows the 401 expired_token",
                any(s == 401 and err == "expired_token" for _, s, err in statuses), statuses)

    c.run("user paging", user_paging)
    c.run("contact search by phone", contact_search)
    c.run("batch", batch)
    c.run("register -> finish -> attachRecord (JSON calls)", telephony_json)
    c.run("register -> finish -> attachRecord (through batch)", telephony_batched)
    c.run("rate limit", rate_limit)
    c.run("OAuth token form", oauth)  # last: it moves the server clock
    c.finish()


if __name__ == "__main__":
    main()
