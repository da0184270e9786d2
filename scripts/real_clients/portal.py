"""What the real-client checks share: the fake portal's admin API and a check list.

Nothing here talks to the REST API itself: that is the client library's job.
The admin API (`/_admin/...`) is only used to learn the credentials, to read
the seeded state the answers are checked against, and to inject faults.
"""

import json
import sys
import time
import urllib.request


class Portal:
    """The admin side of a running `callfull serve`."""

    def __init__(self, base_url):
        self.base = base_url.rstrip("/")
        self.info = self.get("/_admin/info")["bitrix24"]

    def _request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else None

    def get(self, path):
        return self._request("GET", path)

    def post(self, path, body):
        return self._request("POST", path, body)

    def delete(self, path):
        return self._request("DELETE", path)

    def reset(self):
        self.post("/_admin/reset", {})

    def state(self):
        return self.get("/_admin/state")["bitrix24"]

    def journal(self, method=None):
        path = "/_admin/journal?limit=10000"
        if method:
            path += "&method=" + method
        return self.get(path)["entries"]

    def fault(self, **fault):
        self.post("/_admin/faults", fault)

    def advance_clock(self, secs):
        self.post("/_admin/clock", {"advance_secs": secs})

    @property
    def webhook_url(self):
        return self.info["webhook_url"]

    @property
    def webhook_user_id(self):
        # .../rest/{user}/{code}/
        return int(self.webhook_url.rstrip("/").split("/")[-2])


def unique_contact_phone(state, without_plus=False):
    """A contact and one of its phones that no other CRM record carries, so a
    search by it must find that contact and nothing else; the phone as stored
    and as its 11 digits."""
    seen = {}
    for number in known_numbers(state, unique=False):
        seen[number] = seen.get(number, 0) + 1
    for contact in state["contacts"]:
        for item in contact.get("PHONE") or []:
            digits = russian_digits(item["VALUE"])
            if without_plus and "+" in item["VALUE"]:
                continue
            if len(digits) == 11 and seen[digits] == 1:
                return contact, item["VALUE"], digits
    raise SystemExit("the seeded world has no contact with a unique Russian mobile number")


def russian_digits(phone):
    """The digits of a number, a Russian 8XXXXXXXXXX written as 7XXXXXXXXXX."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "7" + digits[1:] if len(digits) == 11 and digits[0] == "8" else digits


def known_numbers(state, unique=True):
    """The phone numbers of every contact, company and lead, as russian_digits."""
    numbers = [russian_digits(item["VALUE"])
               for kind in ("contacts", "companies", "leads")
               for rec in state[kind] for item in rec.get("PHONE") or []]
    return set(numbers) if unique else numbers


def unknown_number(state):
    """A Russian mobile number no CRM record has, as 11 digits."""
    known = known_numbers(state)
    return next(n for n in (f"7999{i:07d}" for i in range(10**7)) if n not in known)


class Checks:
    """Named assertions that keep going after a failure and report at the end.

    `known` maps the name of a check to a known difference of the fake from a
    real portal (not yet fixed in the Rust code): that check failing is
    reported as "known" and does not fail the run; passing fails it, so that
    the entry is removed once the fake is fixed.
    """

    def __init__(self, library, known=None):
        self.library = library
        self.known = dict(known or {})
        self.passed = 0
        self.failed = []
        self.known_failed = []
        self.started = time.monotonic()

    def check(self, name, ok, detail=""):
        if name in self.known:
            if ok:
                self.failed.append(name)
                print(f"  FAIL  {name}: passes now; remove it from the known differences")
            else:
                self.known_failed.append(name)
                print(f"  known {name}: {detail}\n        ({self.known[name]})")
        elif ok:
            self.passed += 1
            print(f"  ok    {name}")
        else:
            self.failed.append(name)
            print(f"  FAIL  {name}: {detail}")
        return ok

    def equal(self, name, got, want):
        detail = f"got {short(got)}, want {short(want)}"
        if isinstance(got, list) and isinstance(want, list):
            missing = [x for x in want if x not in got]
            extra = [x for x in got if x not in want]
            detail = (f"got {len(got)}, want {len(want)}; missing {short(missing, 120)}, "
                      f"unexpected {short(extra, 120)}")
        return self.check(name, got == want, detail)

    def run(self, name, fn):
        """Run one scenario; an exception fails it (and is printed) instead of
        ending the whole run."""
        print(f"{self.library}: {name}")
        try:
            fn()
        except Exception as err:  # noqa: BLE001 - any failure of the library counts
            self.failed.append(f"{name} (raised)")
            print(f"  FAIL  {name} raised {type(err).__name__}: {short(err, 2000)}")

    def finish(self):
        secs = time.monotonic() - self.started
        print(f"{self.library}: took {secs:.1f} s")
        for name in self.known_failed:
            print(f"  known difference of the fake (not counted): {name}")
        # The plain closing line CI readers understand, alone on its line.
        print(f"{self.library}: {self.passed} passed, {len(self.failed)} failed")
        for name in self.failed:
            print(f"  failed: {name}")
        sys.exit(1 if self.failed else 0)


def short(value, limit=300):
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
