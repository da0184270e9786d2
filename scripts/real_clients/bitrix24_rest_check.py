"""bitrix24-rest, unchanged, against `callfull serve`.

bitrix24-rest (https://github.com/akopkesheshyan/bitrix24-python-rest) takes
the webhook URL and sends every call as a GET of `{webhook}{method}.json` with
the parameters in the query string, PHP bracket notation, values NOT
percent-encoded (it builds `key=value&` by hand); it adds `start=0` to every
call and, when the answer has `next`, fetches the remaining pages in
parallel as `start=50, 100, …` up to `total`.

Because it does not encode values, a '+' reaches any server as a space and an
'&' ends the value: that is the library's limit, a real portal would see the
same. So this check uses phone numbers and base64 without '+', no time zone
in dates, and batch commands with one parameter each.

Usage: python bitrix24_rest_check.py http://127.0.0.1:PORT
"""

import base64
import sys
import warnings

from bitrix24 import Bitrix24, BitrixError

from portal import Checks, Portal, russian_digits, unique_contact_phone, unknown_number

# A recording whose base64 has no '+' (see above) but does have '/'.
RECORD = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff" * 600 + b"record"


def ids(records):
    return sorted(str(r["ID"]) for r in records)


def main():
    # The library warns that a synchronous callMethod is deprecated.
    warnings.simplefilter("ignore", DeprecationWarning)
    portal = Portal(sys.argv[1])
    portal.reset()
    state = portal.state()
    c = Checks("bitrix24-rest")
    b = Bitrix24(portal.webhook_url)
    uid = portal.webhook_user_id
    contact, phone_value, digits = unique_contact_phone(state, without_plus=True)
    cid = str(contact["ID"])

    def user_paging():
        users = b.callMethod("user.get")
        c.equal("user.get: every employee, once", ids(users), ids(state["users"]))
        starts = sorted(int(e["params"].get("start", 0)) for e in portal.journal("user.get"))
        c.equal("user.get: one GET per page", starts, list(range(0, len(state["users"]), 50)))
        contacts = b.callMethod("crm.contact.list", {"select": ["ID", "NAME", "PHONE"]})
        c.equal("crm.contact.list: every contact, once", ids(contacts), ids(state["contacts"]))

    def contact_search():
        found = b.callMethod("crm.contact.list", {"filter": {"PHONE": phone_value}, "select": ["ID", "PHONE"]})
        c.equal(f"crm.contact.list filter[PHONE]={phone_value}", ids(found), [cid])
        dup = b.callMethod("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["8" + digits[1:]]})
        c.equal("crm.duplicate.findbycomm", {k: [str(i) for i in v] for k, v in dup.items()}, {"CONTACT": [cid]})
        none = b.callMethod("crm.duplicate.findbycomm", {"type": "PHONE", "values": [unknown_number(state)]})
        c.equal("crm.duplicate.findbycomm on an unknown number", none, [])
        try:
            b.callMethod("crm.contact.get", {"id": 999999999})
            c.check("crm.contact.get of a missing ID raises", False, "no exception")
        except BitrixError as err:
            # The library raises on any status but 200/201, before reading the body.
            c.equal("crm.contact.get of a missing ID raises", str(err.args[0]), "HTTP error: 400")

    def batch():
        res = b.callMethod("batch", {"halt": 0, "cmd": {
            "me": "user.current",
            "same": "user.get?ID=$result[me][ID]",
            "contact": f"crm.contact.get?id={cid}",
            "page2": "user.get?start=50",
            "bad": "crm.contact.get?id=999999999",
        }})
        c.equal("batch: user.current", str(res["result"]["me"]["ID"]), str(uid))
        c.equal("batch: $result[me][ID] reference", ids(res["result"]["same"]), [str(uid)])
        c.equal("batch: crm.contact.get", str(res["result"]["contact"]["ID"]), cid)
        c.equal("batch: user.get?start=50", len(res["result"]["page2"]), min(50, len(state["users"]) - 50))
        c.equal("batch: result_next for the second page",
                res["result_next"].get("page2"), 100 if len(state["users"]) > 100 else None)
        c.equal("batch: the failing command in result_error",
                (list(res["result_error"]), res["result_error"]["bad"].get("error_description")),
                (["bad"], "Not found"))

    def telephony():
        reg = b.callMethod("telephony.externalcall.register", {
            "USER_ID": uid, "PHONE_NUMBER": digits, "TYPE": 2, "CRM_CREATE": 0, "SHOW": 0,
        })
        call_id = reg.get("CALL_ID", "")
        c.check("register: CALL_ID", call_id.startswith("externalCall."), reg)
        c.equal("register: found the contact by phone",
                (reg.get("CRM_ENTITY_TYPE"), str(reg.get("CRM_ENTITY_ID"))), ("CONTACT", cid))
        fin = b.callMethod("telephony.externalcall.finish",
                           {"CALL_ID": call_id, "USER_ID": uid, "DURATION": 17, "STATUS_CODE": 200})
        c.equal("finish: answered, 17 s", (str(fin.get("CALL_FAILED_CODE")), fin.get("CALL_DURATION")), ("200", 17))
        content = base64.b64encode(RECORD).decode()
        assert "+" not in content and "/" in content
        att = b.callMethod("telephony.externalcall.attachRecord",
                           {"CALL_ID": call_id, "FILENAME": "record.mp3", "FILE_CONTENT": content})
        c.check("attachRecord: FILE_ID", att.get("FILE_ID"), att)
        sent = [e["params"].get("FILE_CONTENT") for e in portal.journal("telephony.externalcall.attachrecord")]
        c.check("attachRecord: FILE_CONTENT arrived byte for byte", sent and sent[-1] == content, "differs")
        act = b.callMethod("crm.activity.get", {"id": fin.get("CRM_ACTIVITY_ID")})
        c.check("crm.activity.get: the record is on the call's activity",
                any(str(f.get("id")) == str(att.get("FILE_ID")) for f in act.get("FILES") or []), act)

        number = unknown_number(state)
        reg2 = b.callMethod("telephony.externalcall.register", {
            "USER_ID": uid, "PHONE_NUMBER": number, "TYPE": 1, "CRM_CREATE": 1, "SHOW": 0,
        })
        c.check("register: a lead for an unknown number", reg2.get("CRM_CREATED_LEAD"), reg2)
        lead = b.callMethod("crm.lead.get", {"id": reg2.get("CRM_CREATED_LEAD")})
        c.check("crm.lead.get: the lead carries the number",
                any(russian_digits(p["VALUE"]) == number for p in lead.get("PHONE") or []), lead)

    c.run("user paging", user_paging)
    c.run("contact search by phone", contact_search)
    c.run("batch", batch)
    c.run("register -> finish -> attachRecord", telephony)
    c.finish()


if __name__ == "__main__":
    main()
