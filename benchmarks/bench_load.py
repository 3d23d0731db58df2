"""Load test: relationship managers on gunicorn + PostgreSQL, stepped up from 2 users.

Serves a bank with gunicorn (DEBUG off, loopback only, 2 × cores + 1 sync workers) and drives
it with locust (headless, its own virtualenv var/bench-locust, created on first use, so locust
and gevent never enter the project's dependencies). Every simulated user is a different RM of
the demo bank: it logs in once (log-in page for the CSRF token, then the form), waits until
every user of the step has logged in, then for the measured window does a weighted mix, with
a think time between actions:

- search, weight 5: the list's HTMX search (`/customers/?q=…`) for one of the RM's own
  customers by surname, by full name or by customer number (a whole number: the search
  matches customer numbers exactly);
- open a Customer 360 page, weight 3: a customer from the RM's own search results;
- log an interaction, weight 1: the 360 page's HTMX form (`POST /customers/<id>/interactions/`,
  CSRF token from the page) on the customer opened last.

Each step (2, 4, 8, … users) is a run of its own, after a short unreported one that warms the
workers; it prints requests/s, p50/p95/p99, failures, the machine's load average and the mix
achieved (count and p95 per request type) over the window. The headline is the step with the
highest rate whose p95 is under 300 ms with no failure; stepping stops after a step with a
failure or a p95 over 1 s. Log-ins (PBKDF2 by design) are reported apart, outside the windows.
The interactions the run logged are deleted afterwards, so that runs start from the same bank.
gunicorn, PostgreSQL and locust share this machine's cores (and whatever else runs on it).

Environment: BENCH_LOAD_URL (default postgres://postgres@127.0.0.1:5432/bankcrm_bench_load;
point it at the `make bench` bank to load that one), BENCH_LOAD_CUSTOMERS (default 100,000:
size of the bank built once with `bankcrm demo --direct` when the database is empty),
BENCH_LOAD_STEPS (default 2,4,8,16,32,48,64,96,128,192), BENCH_LOAD_SECONDS (measured seconds
per step, default 25), BENCH_LOAD_THINK (think time range in seconds, default 0.5-1.5).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VENV = ROOT / "var" / "bench-locust"
LOCUST = "locust==2.47.0"
URL = os.environ.get("BENCH_LOAD_URL", "postgres://postgres@127.0.0.1:5432/bankcrm_bench_load")
CUSTOMERS = int(os.environ.get("BENCH_LOAD_CUSTOMERS", "100000"))


def _numbers(name: str, default: str, sep: str) -> list[float]:
    text = os.environ.get(name, default)
    try:
        values = [float(v) for v in text.split(sep)]
    except ValueError:
        values = []
    if not values or min(values) <= 0:
        raise SystemExit(f"{name} wants positive numbers separated by {sep!r}, not {text!r}")
    return values


STEPS = [int(n) for n in _numbers("BENCH_LOAD_STEPS", "2,4,8,16,32,48,64,96,128,192", ",")]
SECONDS = _numbers("BENCH_LOAD_SECONDS", "25", ",")[0]
THINK = _numbers("BENCH_LOAD_THINK", "0.5-1.5", "-")
GOAL_P95_MS = 300.0
STOP_P95_MS = 1000.0  # stepping stops after a step this slow (or with a failure)
# Log-ins are PBKDF2 (a third of a second of CPU each, by design): a step waits this long for
# all of its users to have logged in.
LOGIN_TIMEOUT = 120.0
CUSTOMERS_PER_RM = 40  # customers of each RM the searches look for
LOGIN_REQUESTS = ("log-in page", "log in")  # names of the log-in requests in the samples
SUBJECT = "Load test:"  # subject prefix of the interactions the run logs, deleted afterwards
# The audit chain is sealed with BANKCRM_AUDIT_KEY, derived from the secret key when unset: a
# throwaway secret key per run would seal each run's events with a different key.
AUDIT_KEY = os.environ.get("BANKCRM_AUDIT_KEY") or "bankcrm-benchmark-audit-key"

LOCUSTFILE = r'''
"""RMs of the demo bank: log in once, then search their customers, open 360s, log contacts."""
import json
import os
import random
import re
import time
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())
USERS = int(os.environ["LOAD_USERS"])
SECONDS = float(os.environ["LOAD_SECONDS"])
LOGIN_TIMEOUT = float(os.environ["LOAD_LOGIN_TIMEOUT"])
PASSWORD = os.environ["LOAD_PASSWORD"]
SUBJECT = os.environ["LOAD_SUBJECT"]
THINK = (float(os.environ["LOAD_THINK_MIN"]), float(os.environ["LOAD_THINK_MAX"]))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LINK = re.compile(r'href="/customers/(\d+)/"')
SEARCHES = [("surname", 2), ("name", 2), ("customer number", 1)]
KINDS = ["call", "visit", "meeting", "wechat", "note"]
READY = Event()
STATE = {"next": 0, "attempted": 0, "start": None}
SAMPLES = []


@events.request.add_listener
def _record(name, response_time, exception, start_time=None, **kwargs):
    SAMPLES.append([name, start_time, response_time, str(exception)[:200] if exception else ""])


@events.test_start.add_listener
def _stop_after_window(environment, **kwargs):
    def stop():
        if READY.wait(LOGIN_TIMEOUT):
            gevent.sleep(SECONDS)
        environment.runner.quit()

    gevent.spawn(stop)


@events.quitting.add_listener
def _dump(environment, **kwargs):
    with open(os.environ["LOAD_OUT"], "w", encoding="utf-8") as f:
        json.dump({"start": STATE["start"], "samples": SAMPLES}, f)


class RelationshipManager(FastHttpUser):
    wait_time = between(*THINK)

    def on_start(self):
        me = PLAN[STATE["next"] % len(PLAN)]
        STATE["next"] += 1
        self.rng = random.Random(me["username"])
        self.customers = me["customers"]
        self.ids = []
        self.current = None
        self.csrf = ""
        self.logged = 0
        ok = self.log_in(me["username"])
        STATE["attempted"] += 1
        if STATE["attempted"] >= USERS and not READY.is_set():
            STATE["start"] = time.time()
            READY.set()
        if not ok:
            raise StopUser()
        READY.wait()

    def log_in(self, username):
        with self.client.get("/login/", name="log-in page", catch_response=True) as r:
            token = CSRF.search(r.text or "")
            if r.status_code != 200 or token is None:
                r.failure(f"log-in page: HTTP {r.status_code}")
                return False
        form = {"username": username, "password": PASSWORD, "next": "",
                "csrfmiddlewaretoken": token.group(1)}
        with self.client.post("/login/", data=form, name="log in", allow_redirects=False,
                              catch_response=True) as r:
            where = r.headers.get("Location", "") if r.headers else ""
            if r.status_code != 302 or "login" in where:
                r.failure(f"log-in refused: HTTP {r.status_code} {where}")
                return False
        return True

    @task(5)
    def search(self):
        kind = self.rng.choices([k for k, _ in SEARCHES], [w for _, w in SEARCHES])[0]
        name, number = self.rng.choice(self.customers)
        term = {"surname": name[:1], "name": name, "customer number": number}[kind]
        url = "/customers/?" + urlencode({"q": term})
        with self.client.get(url, name=f"search: {kind}", headers={"HX-Request": "true"},
                             catch_response=True) as r:
            found = LINK.findall(r.text or "") if r.status_code == 200 else []
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
            elif not found:
                r.failure("no result for one of the RM's own customers")
            else:
                self.ids = list(dict.fromkeys(self.ids + found))[-200:]

    @task(3)
    def open_360(self):
        if not self.ids:
            return self.search()
        pk = self.rng.choice(self.ids)
        with self.client.get(f"/customers/{pk}/", name="360", catch_response=True) as r:
            token = CSRF.search(r.text or "")
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
            elif token is None or 'data-testid="interaction-form"' not in r.text:
                r.failure("no interaction form on the 360 page")
            else:
                self.current, self.csrf = pk, token.group(1)

    @task(1)
    def log_interaction(self):
        if self.current is None:
            return self.open_360()
        self.logged += 1
        subject = f"{SUBJECT} {self.rng.choice(['follow-up', 'review', 'offer'])} {self.logged}"
        form = {"csrfmiddlewaretoken": self.csrf, "kind": self.rng.choice(KINDS),
                "subject": subject, "notes": "Talked through the portfolio."}
        headers = {"HX-Request": "true", "HX-Target": "timeline", "X-CSRFToken": self.csrf}
        with self.client.post(f"/customers/{self.current}/interactions/", data=form,
                              headers=headers, name="log interaction", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
            elif subject not in (r.text or ""):
                r.failure("the new interaction is not on the timeline")
'''


# The bank's identifiers are encrypted: the server (with a fresh secret key each run) needs the
# keys the bank was built with, as a production server would.
PII_KEYS = "bench:" + "Q" * 43
PII_INDEX_KEY = "bench load index key"


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "BANKCRM_DATABASE_URL": URL,
        "DJANGO_SETTINGS_MODULE": "bankcrm.settings",
        "BANKCRM_PII_KEYS": PII_KEYS,
        "BANKCRM_PII_INDEX_KEY": PII_INDEX_KEY,
    }


def ensure_bank() -> int:
    """Create the database and the bank when they are missing; the number of customers."""
    name = URL.rsplit("/", 1)[1].split("?")[0]
    admin = URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([BIN / "bankcrm", "migrate", "--noinput", "-v0"], env=_env(), check=True)
    subprocess.run(
        [
            BIN / "bankcrm",
            "demo",
            "--customers",
            str(CUSTOMERS),
            "--months",
            "12",
            "--seed",
            "11",
            "--direct",
            "--no-analytics",
            "--if-empty",
        ],
        env=_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with psycopg.connect(URL) as conn:
        row = conn.execute("SELECT count(*) FROM customers_customer").fetchone()
    return int(row[0]) if row else 0


def rm_plan(n: int) -> list[dict[str, object]]:
    """`n` RMs that hold customers, spread over the bank, each with customers to look for."""
    with psycopg.connect(URL) as conn:
        rms = conn.execute(
            "SELECT u.id, u.username FROM core_user u WHERE u.role = 'rm' AND u.is_active "
            "AND EXISTS (SELECT 1 FROM customers_customer c WHERE c.rm_id = u.id) "
            "ORDER BY md5(u.username) LIMIT %s",
            (n,),
        ).fetchall()
        plan: list[dict[str, object]] = []
        for rm_id, username in rms:
            customers = conn.execute(
                "SELECT name_zh, customer_no FROM customers_customer WHERE rm_id = %s "
                "ORDER BY md5(customer_no) LIMIT %s",
                (rm_id, CUSTOMERS_PER_RM),
            ).fetchall()
            plan.append({"username": username, "customers": [list(c) for c in customers]})
    if len(plan) < n:
        raise SystemExit(f"the bank has {len(plan)} RMs with customers; the steps need {n}")
    return plan


def ensure_locust() -> Path:
    locust = VENV / "bin" / "locust"
    if not locust.exists():
        print(f"creating var/bench-locust ({LOCUST}) …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", LOCUST], check=True
        )
    return locust


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(workers: int, log: Path) -> Iterator[str]:
    """gunicorn on a free loopback port until the block ends (also when it fails)."""
    port = _free_port()
    env = {
        **_env(),
        "DEBUG": "0",
        "BANKCRM_ALLOWED_HOSTS": "127.0.0.1",
        "BANKCRM_SECRET_KEY": secrets.token_urlsafe(50),
        "BANKCRM_AUDIT_KEY": AUDIT_KEY,
    }
    command = [str(BIN / "gunicorn"), "bankcrm.wsgi", "-b", f"127.0.0.1:{port}"]
    command += ["-w", str(workers), "--timeout", "60", "--error-logfile", str(log)]
    server = subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited ({server.returncode}): {_tail(log)}")
            try:
                with urllib.request.urlopen(base + "/login/", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer within 60 s: {_tail(log)}")
            time.sleep(0.5)
        yield base
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _tail(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-2000:] if path.exists() else ""


@dataclass
class Step:
    users: int
    seconds: float  # length of the measured window
    samples: list[list]  # [name, start time, milliseconds, error] inside the window
    logins: list[list]  # the log-in requests, before the window
    load: float  # the machine's 1-minute load average at the end of the step

    @property
    def failures(self) -> int:
        return sum(1 for s in self.samples + self.logins if s[3])

    @property
    def rate(self) -> float:
        return len(self.samples) / self.seconds

    def quantiles(self, name: str = "") -> tuple[float, float, float]:
        ms = sorted(s[2] for s in self.samples if s[0].startswith(name))
        if len(ms) < 2:
            return (ms[0],) * 3 if ms else (float("nan"),) * 3
        q = statistics.quantiles(ms, n=100, method="inclusive")
        return q[49], q[94], q[98]

    @property
    def passes(self) -> bool:
        return bool(self.samples) and self.quantiles()[1] < GOAL_P95_MS and not self.failures


def run_step(*, locust: Path, base: str, plan: Path, users: int, seconds: float, tmp: Path) -> Step:
    """One locust run of `users` RMs: log-ins, then `seconds` measured."""
    from bankcrm.demo.plan import DEFAULT_PASSWORD

    locustfile = tmp / "locustfile.py"
    locustfile.write_text(LOCUSTFILE, encoding="utf-8")
    out = tmp / f"samples-{users}.json"
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "LOAD_PLAN": str(plan),
        "LOAD_OUT": str(out),
        "LOAD_USERS": str(users),
        "LOAD_SECONDS": str(seconds),
        "LOAD_LOGIN_TIMEOUT": str(LOGIN_TIMEOUT),
        "LOAD_PASSWORD": DEFAULT_PASSWORD,
        "LOAD_SUBJECT": SUBJECT,
        "LOAD_THINK_MIN": str(THINK[0]),
        "LOAD_THINK_MAX": str(THINK[-1]),
    }
    bound = int(LOGIN_TIMEOUT + seconds + 30)  # the locustfile stops itself; this is the cap
    command = [str(locust), "-f", str(locustfile), "--headless", "--host", base]
    command += ["-u", str(users), "-r", str(users), "-t", f"{bound}s", "--only-summary"]
    command += ["--loglevel", "WARNING", "--stop-timeout", "5"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp)
    if not out.exists():
        raise SystemExit(f"locust wrote no samples (exit {done.returncode}): {done.stderr[-2000:]}")
    data = json.loads(out.read_text(encoding="utf-8"))
    start = data["start"]
    if start is None:
        raise SystemExit(f"{users} users did not all log in within {LOGIN_TIMEOUT:.0f} s")
    logins = [s for s in data["samples"] if s[0] in LOGIN_REQUESTS]
    window = [
        s for s in data["samples"] if s[0] not in LOGIN_REQUESTS and start <= s[1] < start + seconds
    ]
    return Step(users, seconds, window, logins, os.getloadavg()[0])


def _mix(step: Step) -> str:
    counts = Counter(s[0] for s in step.samples)
    parts = []
    for name in sorted(counts, key=lambda n: -counts[n]):
        _p50, p95, _p99 = step.quantiles(name)
        parts.append(f"{name} {counts[name]:,} (p95 {p95:.0f} ms)")
    return ", ".join(parts)


def _errors(step: Step, server_log: Path) -> str:
    errors = Counter(f"{s[0]}: {s[3]}" for s in step.samples + step.logins if s[3])
    shown = "; ".join(f"{n}× {e}" for e, n in errors.most_common(3))
    # The server's last traceback says why a request failed.
    log = _tail(server_log)
    last = log[log.rfind("Traceback") :] if "Traceback" in log else ""
    return shown + (f"\n        server: {last.strip().splitlines()[-1]}" if last else "")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankcrm.settings")
    import django

    django.setup()
    cores = os.cpu_count() or 1
    workers = 2 * cores + 1
    name = URL.rsplit("/", 1)[1]
    print(f"== load test: RMs on gunicorn + PostgreSQL ({name})")
    customers = ensure_bank()
    locust = ensure_locust()
    plan = rm_plan(max(STEPS))
    print(
        f"  {customers:,} customers; gunicorn {workers} sync workers; locust (FastHttpUser), "
        f"gunicorn and PostgreSQL share this machine's {cores} cores over loopback, with whatever "
        f"else runs on it (load average {os.getloadavg()[0]:.1f} at the start)"
    )
    print(
        f"  each user a different RM: log in once, then search 5 : open 360 3 : log interaction 1, "
        f"think time {THINK[0]:g}-{THINK[-1]:g} s; {SECONDS:g} s measured per step once every "
        f"user has logged in; goal p95 < {GOAL_P95_MS:.0f} ms and no failure"
    )
    steps: list[Step] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        plan_path = tmp / "plan.json"
        plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        server_log = tmp / "gunicorn.log"
        try:
            with serving(workers, server_log) as base:
                # Every worker loads its URLs and templates on its first requests: a short run
                # that is not reported warms them.
                run_step(locust=locust, base=base, plan=plan_path, users=2, seconds=8, tmp=tmp)
                print(
                    f"  {'users':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
                    f"{'failures':>8} {'load':>5}"
                )
                for users in STEPS:
                    step = run_step(
                        locust=locust,
                        base=base,
                        plan=plan_path,
                        users=users,
                        seconds=SECONDS,
                        tmp=tmp,
                    )
                    steps.append(step)
                    p50, p95, p99 = step.quantiles()
                    verdict = "" if step.passes else "   misses the goal"
                    print(
                        f"  {users:>5} {step.rate:>7.1f} {p50:>7.0f} {p95:>7.0f} {p99:>7.0f} "
                        f"{step.failures:>8,} {step.load:>5.1f}{verdict}",
                        flush=True,
                    )
                    if step.samples:
                        print(f"        {_mix(step)}", flush=True)
                    if step.failures:
                        print(f"        {_errors(step, server_log)}")
                    # Past this the server is saturated: more users only queue longer.
                    if step.failures or p95 > STOP_P95_MS:
                        break
        finally:
            with psycopg.connect(URL) as conn:
                conn.execute(
                    "DELETE FROM interactions_interaction WHERE subject LIKE %s", (SUBJECT + "%",)
                )
                conn.commit()
    logins = sorted(s[2] for st in steps for s in st.logins if s[0] == "log in")
    if logins:
        print(
            f"  log-ins (before each window): {len(logins):,}, median "
            f"{statistics.median(logins):,.0f} ms (PBKDF2 password hashing, by design)"
        )
    passing = [s for s in steps if s.passes]
    if not passing:
        print(f"  headline: no step met the goal (p95 < {GOAL_P95_MS:.0f} ms, no failure)")
        return
    best = max(passing, key=lambda s: s.rate)
    p50, p95, p99 = best.quantiles()
    print(
        f"  headline: {best.users} users, {best.rate:.1f} requests/s, p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms, p99 {p99:.0f} ms, no failure; mix {_mix(best)}"
    )


if __name__ == "__main__":
    main()
