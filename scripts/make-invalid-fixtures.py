#!/usr/bin/env python3
"""Writes fixtures/invalid/: each file is a valid payload from fixtures/payloads/
with exactly one rule broken, and manifest.json says which rule, at which path,
with which CRM flavour, and whether the JSON Schema can see it (type-level).

Run it again after changing a valid fixture; review the diff before committing.
"""
import copy
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
VALID = os.path.join(ROOT, "fixtures", "payloads")
OUT = os.path.join(ROOT, "fixtures", "invalid")


def load(name):
    with open(os.path.join(VALID, name), encoding="utf-8") as f:
        return json.load(f)


def first_conv(p):
    key = next(iter(p["call_full"]["conversations"]))
    return key, p["call_full"]["conversations"][key]


def conv_path(key, rest):
    return 'call_full.conversations["%s"].%s' % (key, rest)


CASES = []


def case(name, base, rule, crm="auto", severity=None, schema=False, note=""):
    def wrap(mutate):
        CASES.append(dict(name=name, base=base, rule=rule, crm=crm, severity=severity, schema=schema, note=note, mutate=mutate))
        return mutate
    return wrap


B_ANS = "bitrix24/incoming_answered.json"
B_RING = "bitrix24/incoming_ringing.json"
B_END = "bitrix24/incoming_processed.json"
A_OUT = "amocrm/outgoing_answered.json"


@case("r01-missing-key", B_ANS, "R01", schema=True, note="call_full.record deleted")
def _(p):
    del p["call_full"]["record"]
    return "call_full.record"


@case("r01-wrong-type", B_ANS, "R01", schema=True, note="is_primary is the string \"true\"")
def _(p):
    p["call_full"]["channel"]["is_primary"] = "true"
    return "call_full.channel.is_primary"


@case("r01-unknown-key", B_ANS, "R01", severity="warning", schema=True, note="a key the contract does not have")
def _(p):
    key, c = first_conv(p)
    c["is_muted"] = False
    return conv_path(key, "is_muted")


@case("r02-not-the-format", B_ANS, "R02", schema=True, note="ISO 8601 T separator")
def _(p):
    p["call_full"]["channel"]["start_time"] = p["call_full"]["channel"]["start_time"].replace(" ", "T")
    return "call_full.channel.start_time"


@case("r02-no-such-date", B_END, "R02", schema=False, note="29 February of a common year: the shape is right, the date does not exist")
def _(p):
    p["call_full"]["channel"]["end_time"] = "2027-02-29 10:20:00"
    return "call_full.channel.end_time"


@case("r03-state", B_ANS, "R03", schema=True, note="conversation state \"hold\"")
def _(p):
    key, c = first_conv(p)
    c["channel"]["state"] = "hold"
    return conv_path(key, "channel.state")


@case("r03-type", B_ANS, "R03", schema=True, note="channel type \"inbound\"")
def _(p):
    p["call_full"]["channel"]["type"] = "inbound"
    return "call_full.channel.type"


@case("r03-result-string", B_ANS, "R03", schema=True, note="result \"200\" as a string")
def _(p):
    p["call_full"]["result"] = "200"
    return "call_full.result"


@case("r03-call-stage", B_ANS, "R03", schema=True, note="call_stage \"ringing\"")
def _(p):
    p["call_stage"] = "ringing"
    return "call_stage"


@case("r04-bitrix24-deal", B_ANS, "R04", crm="bitrix24", schema=True, note="a deal in a Bitrix24 payload")
def _(p):
    deal = copy.deepcopy(p["call_full"]["entity"])
    deal.update(type="deal", phones=[], is_new=False)
    p["call_full"]["deal"] = deal
    return "call_full.deal"


@case("r04-bitrix24-entity-type", B_RING, "R04", crm="bitrix24", schema=True, note="entity type \"deal\" in Bitrix24")
def _(p):
    p["call_full"]["entity"]["type"] = "deal"
    return "call_full.entity.type"


@case("r04-amocrm-registration", A_OUT, "R04", crm="amocrm", schema=True, note="a registration in an amoCRM payload")
def _(p):
    e = p["call_full"]["entity"]
    p["call_full"]["registration"] = {
        "activity_id": "", "created_company_id": "", "created_contact_id": "", "created_deal_id": "",
        "created_lead_id": "", "entity_id": e["id"], "entity_type": e["type"],
        "id": "externalCall.0123456789abcdef0123456789abcdef.1794899703", "responsible_id": e["responsible_id"],
    }
    return "call_full.registration"


@case("r04-both-crms", A_OUT, "R04", crm="auto", schema=False, note="registration and deal both set: auto cannot tell the CRM")
def _(p):
    e = p["call_full"]["entity"]
    p["call_full"]["registration"] = {
        "activity_id": "", "created_company_id": "", "created_contact_id": "", "created_deal_id": "",
        "created_lead_id": "", "entity_id": e["id"], "entity_type": e["type"],
        "id": "externalCall.0123456789abcdef0123456789abcdef.1794899703", "responsible_id": e["responsible_id"],
    }
    return "call_full.deal"


@case("r05-user-phone-integer", B_ANS, "R05", schema=True, note="a user phone as a JSON number")
def _(p):
    key, c = first_conv(p)
    c["user"]["phones"][0] = int(c["user"]["phones"][0]) if c["user"]["phones"][0].isdigit() else 101
    return conv_path(key, "user.phones[0]")


@case("r05-entity-phone-string", B_ANS, "R05", schema=True, note="an entity phone as a plain string")
def _(p):
    p["call_full"]["entity"]["phones"][0] = p["call_full"]["entity"]["phones"][0]["original"]
    return "call_full.entity.phones[0]"


@case("r06-raw-empty-string", B_ANS, "R06", schema=True, note="raw keeps an empty COMMENTS")
def _(p):
    p["call_full"]["entity"]["raw"]["COMMENTS"] = ""
    return "call_full.entity.raw.COMMENTS"


@case("r06-raw-zero", A_OUT, "R06", schema=True, note="raw keeps a zero price")
def _(p):
    p["call_full"]["deal"]["raw"]["price"] = 0
    return "call_full.deal.raw.price"


@case("r07-main-not-primary", B_ANS, "R07")
def _(p):
    p["call_full"]["channel"]["is_primary"] = False
    return "call_full.channel.is_primary"


@case("r07-conversation-primary", B_ANS, "R07")
def _(p):
    key, c = first_conv(p)
    c["channel"]["is_primary"] = True
    return conv_path(key, "channel.is_primary")


@case("r08-active-conversation", B_ANS, "R08")
def _(p):
    p["call_full"]["active_conversation_id"] = "1794899703.9999"
    return "call_full.active_conversation_id"


@case("r08-key-not-channel-id", B_ANS, "R08")
def _(p):
    key, c = first_conv(p)
    c["channel"]["id"] = key + "0"
    return conv_path(key, "channel.id")


@case("r09-answer-before-start", B_ANS, "R09")
def _(p):
    ch = p["call_full"]["channel"]
    ch["answer_time"] = "2026-11-17 10:15:01"
    return "call_full.channel.answer_time"


@case("r09-was-answered", B_ANS, "R09")
def _(p):
    p["call_full"]["channel"]["was_answered"] = False
    return "call_full.channel.was_answered"


@case("r10-ringing-but-answered", B_ANS, "R10")
def _(p):
    p["call_full"]["channel"]["state"] = "ringing"
    return "call_full.channel.state"


@case("r11-variants-order", B_ANS, "R11")
def _(p):
    p["call_full"]["channel"]["trunk"]["variants"].reverse()
    return "call_full.channel.trunk.variants[0]"


@case("r12-type-direction", B_ANS, "R12")
def _(p):
    p["call_full"]["channel"]["type"] = "outgoing"
    return "call_full.channel.type"


@case("r13-responsible", B_ANS, "R13")
def _(p):
    p["call_full"]["entity"]["responsible_id"] = "999"
    return "call_full.entity.responsible.id"


@case("r13-registration-entity", B_ANS, "R13")
def _(p):
    p["call_full"]["registration"]["entity_id"] = "1"
    return "call_full.registration.entity_id"


@case("r14-ivr-but-answered", B_END, "R14")
def _(p):
    p["call_full"]["is_ivr"] = True
    return "call_full.is_ivr"


@case("r14-result-not-200", B_END, "R14")
def _(p):
    p["call_full"]["result"] = 304
    return "call_full.result"


def main():
    manifest = []
    for c in CASES:
        payload = load(c["base"])
        path = c["mutate"](payload)
        severity = c["severity"] or ("error" if int(c["rule"][1:]) <= 6 else "warning")
        name = c["name"] + ".json"
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            f.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        manifest.append(dict(file=name, base=c["base"], crm=c["crm"], rule=c["rule"], path=path,
                             severity=severity, schema_rejects=c["schema"], note=c["note"]))
    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    print("wrote %d invalid fixtures" % len(manifest))


if __name__ == "__main__":
    main()
