"""A Streamlit session over the wire: what a browser tab does, without the browser (issue 16, team mode).

A real Streamlit server (here: several, behind nginx) runs each session in the process the websocket
reached. AppTest cannot reach another process, and 30 headless browsers do not fit on 2 cores, so this
client speaks Streamlit's own protocol: it opens /_stcore/stream (subprotocol "streamlit", with the
route cookie nginx hands out for stickiness and a same-origin Origin header, as a browser sends), sends
BackMsg.rerun_script with the page and the widget values, and reads ForwardMsgs until the run finishes.
It keeps what the checks need from each run: metrics, alerts (error/warning/info/success text),
exceptions, and the widgets (id by label) so a later run can type into a text area or press a button.

Only the standard library, `websockets` and Streamlit's protobufs (both installed with Streamlit)."""
from __future__ import annotations

import http.client
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

FINISHED = ForwardMsg.ScriptFinishedStatus
ALERT = {1: "error", 2: "warning", 3: "info", 4: "success"}
WIDGETS = ("button", "text_area", "text_input", "selectbox", "number_input", "multiselect", "checkbox",
           "toggle", "radio", "download_button")


class ProtocolError(RuntimeError):
    pass


@dataclass
class Run:
    """What one script run put on the page."""
    page: str
    seconds: float = 0.0
    metrics: list = field(default_factory=list)        # (label, body, delta)
    alerts: list = field(default_factory=list)         # (kind, body)
    exceptions: list = field(default_factory=list)     # (type, message)
    widgets: dict = field(default_factory=dict)        # label -> (kind, id); first one of a label wins
    texts: list = field(default_factory=list)          # headings, markdown, captions (plain body)
    values: dict = field(default_factory=dict)         # text area / text input label -> the value shown
    elements: int = 0

    def errors(self) -> list[str]:
        return ([f"exception {t}: {m}" for t, m in self.exceptions]
                + [f"error: {b}" for k, b in self.alerts if k == "error"])

    def has_text(self, needle: str) -> bool:
        return any(needle in b for _, b in self.alerts) or any(needle in t for t in self.texts)


def route_cookie_for(base_url: str, cookie: str | None = None) -> tuple[str, str]:
    """GET / through the proxy: the route cookie it hands out (or keeps) and the upstream that served it.

    The bench's nginx configuration adds X-PerfBoard-Upstream (the process's address) so the bench can
    place its sessions evenly; a browser never needs it."""
    u = urlparse(base_url)
    con = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        con.request("GET", "/_stcore/health", headers={"Cookie": f"perfboard_route={cookie}"} if cookie else {})
        r = con.getresponse()
        r.read()
        got = cookie
        for name, value in r.getheaders():
            if name.lower() == "set-cookie" and value.startswith("perfboard_route="):
                got = value.split(";", 1)[0].split("=", 1)[1]
        return got, r.getheader("X-PerfBoard-Upstream", "")
    finally:
        con.close()


class Session:
    """One browser tab: one websocket, one Streamlit session in whichever process the proxy chose."""

    def __init__(self, base_url: str, cookie: str | None = None, timeout: float = 600.0):
        u = urlparse(base_url)
        self.base_url, self.host, self.timeout = base_url, u.netloc, timeout
        self.cookie, self.upstream = route_cookie_for(base_url, cookie)
        ws_url = ("wss" if u.scheme == "https" else "ws") + f"://{u.netloc}/_stcore/stream"
        headers = {"Origin": f"{u.scheme}://{u.netloc}"}
        if self.cookie:
            headers["Cookie"] = f"perfboard_route={self.cookie}"
        self.ws = connect(ws_url, subprotocols=["streamlit"], additional_headers=headers,
                          open_timeout=timeout, max_size=None, compression="deflate")
        self.pages: dict[str, str] = {}        # url_pathname / page name -> page_script_hash
        self.page_hash = ""
        self.last: Run | None = None
        self.query_string = ""

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass

    # ------------------------------------------------------------------ one run
    def run(self, page: str | None = None, widgets: list | None = None) -> Run:
        """Rerun the script: on `page` (url path such as "execution", or "" for the default page) or
        the current one, with `widgets` [(id, kind, value)] as the browser would send them."""
        if page is not None:
            self.page_hash = self.pages.get(page, "") if self.pages else ""
            if page and not self.page_hash:
                raise ProtocolError(f"no page {page!r} in the navigation: {sorted(self.pages)}")
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_hash
        for wid, kind, value in widgets or []:
            w = cs.widget_states.widgets.add()
            w.id = wid
            if kind == "trigger":
                w.trigger_value = bool(value)
            elif kind == "string":
                w.string_value = value
            elif kind == "int":
                w.int_value = value
            elif kind == "double":
                w.double_value = value
            elif kind == "bool":
                w.bool_value = value
            else:
                raise ValueError(kind)
        t0 = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        run = self._read(page or self.page_hash or "default")
        run.seconds = time.perf_counter() - t0
        self.last = run
        return run

    def _read(self, page: str) -> Run:
        run = Run(page)
        deadline = time.monotonic() + self.timeout
        started = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError(f"{page}: no end of the script run within {self.timeout:.0f} s")
            data = self.ws.recv(timeout=left)
            fm = ForwardMsg()
            fm.ParseFromString(data)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                started = True
            elif kind == "navigation":
                for p in fm.navigation.app_pages:
                    self.pages[p.url_pathname] = p.page_script_hash
                    self.pages[p.page_name] = p.page_script_hash
                self.page_hash = fm.navigation.page_script_hash or self.page_hash
            elif kind == "delta":
                self._element(run, fm.delta)
            elif kind == "page_not_found":
                run.alerts.append(("error", f"page not found: {fm.page_not_found.page_name}"))
            elif kind == "script_finished":
                status = fm.script_finished
                if status == FINISHED.Value("FINISHED_EARLY_FOR_RERUN"):
                    run = Run(page)            # st.rerun / switch_page: the next run is the page
                    continue
                if status == FINISHED.Value("FINISHED_WITH_COMPILE_ERROR"):
                    run.exceptions.append(("CompileError", page))
                if started or True:
                    return run

    @staticmethod
    def _element(run: Run, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        which = el.WhichOneof("type")
        run.elements += 1
        if which == "metric":
            run.metrics.append((el.metric.label, el.metric.body, el.metric.delta))
        elif which == "alert":
            run.alerts.append((ALERT.get(el.alert.format, "alert"), el.alert.body))
        elif which == "exception":
            run.exceptions.append((el.exception.type, el.exception.message))
        elif which in ("markdown", "heading"):
            run.texts.append(getattr(el, which).body)
        elif which in WIDGETS:
            w = getattr(el, which)
            run.widgets.setdefault(w.label, (which, w.id))
            if which in ("text_area", "text_input"):
                run.values.setdefault(w.label, w.value if w.set_value else w.default)

    # ------------------------------------------------------------------ helpers
    def widget(self, label: str) -> str:
        if self.last is None or label not in self.last.widgets:
            raise ProtocolError(f"no widget {label!r} on {self.last.page if self.last else '?'}: "
                                f"{sorted(self.last.widgets) if self.last else []}")
        return self.last.widgets[label][1]

    def login(self, name: str, password: str) -> Run:
        """Fill the login form of the gate and press 登录 (the form sends its fields with the trigger)."""
        run = self.last or self.run("")
        if "用户名" not in run.widgets:
            raise ProtocolError(f"no login form: {run.errors() or sorted(run.widgets)}")
        return self.run(None, [(self.widget("用户名"), "string", name), (self.widget("密码"), "string", password),
                               (self.widget("登录"), "trigger", True)])
