"""The operating checks' third-party side, each printing one JSON object:

  operating_check.py prometheus SERVER_PORT WORKDIR   Debian's prometheus scrapes the server; the series, and their
                                                      movement under 50 GET /probes, read back from its HTTP API.
  operating_check.py docs SERVER_PORT SCREENSHOT      headless Chromium (Selenium, chromium-driver) opens /docs, lists
                                                      the operations shown, screenshots them, and runs "try it out"
                                                      on GET /probes.
  operating_check.py ntp CONF WORKDIR                 chronyd with CONF made loopback-only (own port, -x: never
                                                      touches the clock), queried as a probe would (ntplib).
  operating_check.py clock                            adjtimex(2) through ctypes.
"""
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command, log, **options):
    """Starts a tool with default signal handling (the test runner that started us may block or ignore SIGTERM)."""
    def reset():
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
    return subprocess.Popen(command, stdout=log, stderr=log, preexec_fn=reset, **options)


def stop(process):
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def until(what, condition, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = condition()
            if value is not None:
                return value
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def prometheus(server_port, workdir):
    port = free_port()
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                f"  - job_name: pladmed\n    static_configs:\n      - targets: ['127.0.0.1:{server_port}']\n")
    log = open(os.path.join(workdir, "prometheus.log"), "w")
    process = start(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={workdir}/data",
                     f"--web.listen-address=127.0.0.1:{port}"], log, cwd=workdir)
    api = f"http://127.0.0.1:{port}"

    def query(expression):
        _, body = get(f"{api}/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
        result = json.loads(body)["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    try:
        until("prometheus ready", lambda: get(f"{api}/-/ready")[0] == 200 or None, 60)
        up = until("a successful scrape", lambda: query('up{job="pladmed"}') or None, 30)
        requests = 'sum(pladmed_http_requests_total{route="/probes"})'
        before = query(requests) or 0
        for _ in range(50):
            get(f"http://127.0.0.1:{server_port}/probes")
        after = until("the requests in a scrape", lambda: (lambda v: v if v is not None and v >= before + 50 else None)(query(requests)), 30)
        _, body = get(f"{api}/api/v1/label/__name__/values")
        names = sorted(n for n in json.loads(body)["data"] if n.startswith("pladmed_"))
        print(json.dumps({"up": up, "before": before, "after": after, "names": names}))
    finally:
        stop(process)


def docs(server_port, screenshot):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,4000"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(f"http://127.0.0.1:{server_port}/docs")
        blocks = until("the operations", lambda: driver.find_elements(By.CSS_SELECTOR, ".opblock") or None, 30)
        operations = [block.get_attribute("id") for block in blocks]
        height = driver.execute_script("return window.innerHeight")
        bottom = driver.execute_script("const b = document.querySelectorAll('.opblock'); return b[b.length - 1].getBoundingClientRect().bottom")
        driver.save_screenshot(screenshot)
        block = driver.find_element(By.ID, "operations-probes-listProbes")
        block.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
        until("try it out", lambda: block.find_element(By.CSS_SELECTOR, ".try-out__btn"), 10).click()
        until("execute", lambda: block.find_element(By.CSS_SELECTOR, ".execute"), 10).click()
        status = until("the response", lambda: block.find_element(
            By.CSS_SELECTOR, ".live-responses-table .response .response-col_status").text.strip() or None, 20)
        print(json.dumps({"operations": operations, "visible": bottom <= height, "status": status}))
    finally:
        driver.quit()


def ntp(conf, workdir):
    import ntplib

    port = free_port()
    kept = []
    for line in open(conf):
        word = line.split()[0] if line.split() else ""
        # Upstream servers, the clock's own hardware, and the paths and ports of a real deployment stay out.
        if word in ("pool", "server", "peer", "rtcsync", "makestep", "driftfile", "allow", "port", "bindaddress",
                    "cmdport", "pidfile", "logdir", "dumpdir"):
            continue
        kept.append(line.rstrip("\n"))
    kept += [f"port {port}", "bindaddress 127.0.0.1", "allow 127.0.0.1", "cmdport 0",
             f"pidfile {workdir}/chronyd.pid", f"driftfile {workdir}/chrony.drift"]
    path = os.path.join(workdir, "chrony.conf")
    with open(path, "w") as f:
        f.write("\n".join(kept) + "\n")
    user = ["-u", "root"] if os.geteuid() == 0 else []
    log = open(os.path.join(workdir, "chronyd.log"), "w")
    process = start(["chronyd", "-x", "-d", "-f", path] + user, log)
    try:
        client = ntplib.NTPClient()
        response = until("an NTP answer", lambda: client.request("127.0.0.1", port=port, version=4, timeout=1), 30)
        print(json.dumps({"stratum": response.stratum, "offset": response.offset, "leap": response.leap,
                          "running": process.poll() is None}))
    finally:
        stop(process)


class Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("constant", ctypes.c_long), ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
                ("time_sec", ctypes.c_long), ("time_usec", ctypes.c_long), ("tick", ctypes.c_long),
                ("ppsfreq", ctypes.c_long), ("jitter", ctypes.c_long), ("shift", ctypes.c_int),
                ("stabil", ctypes.c_long), ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long),
                ("errcnt", ctypes.c_long), ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int),
                ("padding", ctypes.c_int * 11)]


def clock():
    libc = ctypes.CDLL(None, use_errno=True)
    state = Timex()
    result = libc.adjtimex(ctypes.byref(state))
    unsync = 0x0040  # STA_UNSYNC
    print(json.dumps({"state": result, "synchronised": result != 5 and not state.status & unsync,
                      "estimated_error": state.esterror / 1e6, "maximum_error": state.maxerror / 1e6}))


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    {"prometheus": prometheus, "docs": docs, "ntp": ntp, "clock": clock}[command](*arguments)
