"""A headless Chromium driven over the DevTools protocol (CDP), for tests/test_browser.py.

Debian's `chromium` (tools/install_chromium.sh installs it; `make test` runs that) is started with a fresh profile and
`--remote-debugging-port`; `websocket-client` (a dev dependency, already pulled in by jupyter_server) carries the
protocol. Nothing reaches the network: pages are files, the flags turn off Chromium's own background requests.
"""
import json, os, shutil, socket, subprocess, tempfile, time, urllib.request
from pathlib import Path

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--mute-audio', '--hide-scrollbars',
         '--enable-unsafe-swiftshader']  # WebGL in software (no GPU), without a deprecation warning in every page's console
NAMES = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')


def find_chromium() -> str | None:
    "The browser to drive: $MDMOE_CHROMIUM, else the first of chromium, chromium-browser, google-chrome on PATH."
    return os.environ.get('MDMOE_CHROMIUM') or next(filter(None, map(shutil.which, NAMES)), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Browser:
    "One headless Chromium page: `goto` a file, `js` evaluates an expression (promises awaited), `messages` holds console output."

    def __init__(self, binary: str, width: int = 900, height: int = 1000, timeout: float = 60):
        import websocket  # websocket-client
        self.profile = tempfile.mkdtemp(prefix='mdmoe-chromium-')
        self.port, self.timeout, self._id, self.messages = _free_port(), timeout, 0, []
        self.proc = subprocess.Popen([binary, *FLAGS, f'--user-data-dir={self.profile}', f'--remote-debugging-port={self.port}',
                                      f'--window-size={width},{height}', 'about:blank'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, 'TMPDIR': self.profile})  # its scratch files go with the profile
        try:
            page = self._page_target()
            self.ws = websocket.create_connection(page['webSocketDebuggerUrl'], timeout=timeout, suppress_origin=True)
            for domain in ('Page', 'Runtime', 'Log'): self.send(f'{domain}.enable')
            self.send('Emulation.setDeviceMetricsOverride', width=width, height=height, deviceScaleFactor=1, mobile=False)
        except BaseException:
            self.close()
            raise

    def _page_target(self) -> dict:
        "The page's entry in /json/list, once the DevTools server answers."
        end = time.time() + self.timeout
        while time.time() < end:
            if self.proc.poll() is not None: raise RuntimeError(f"chromium exited with code {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{self.port}/json/list', timeout=2) as r: targets = json.load(r)
                pages = [t for t in targets if t.get('type') == 'page']
                if pages: return pages[0]
            except OSError: pass
            time.sleep(0.2)
        raise TimeoutError(f"chromium's DevTools server did not answer on port {self.port} in {self.timeout} s")

    def _event(self, msg: dict):
        "Keep console messages, uncaught exceptions and browser log entries (WebGL context warnings come this way)."
        m, p = msg.get('method'), msg.get('params', {})
        if m == 'Runtime.consoleAPICalled':
            self.messages.append((p['type'], ' '.join(str(a.get('value', a.get('description', ''))) for a in p.get('args', []))))
        elif m == 'Runtime.exceptionThrown':
            d = p['exceptionDetails']
            self.messages.append(('error', d.get('exception', {}).get('description') or d.get('text', '')))
        elif m == 'Log.entryAdded':
            self.messages.append((p['entry']['level'], p['entry']['text']))
        elif m == 'Page.loadEventFired': self._loaded = True

    def send(self, method: str, **params):
        "Send a command and return its result (events that arrive meanwhile are kept)."
        self._id += 1
        self.ws.send(json.dumps({'id': self._id, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == self._id:
                if 'error' in msg: raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get('result', {})
            self._event(msg)

    def pump(self, seconds: float):
        "Let the page run for `seconds`, collecting its events."
        end = time.time() + seconds
        while time.time() < end:
            self.js('1')
            time.sleep(0.05)

    def goto(self, path):
        "Open a file and wait for its load event."
        self._loaded = False
        self.send('Page.navigate', url=Path(path).resolve().as_uri())
        end = time.time() + self.timeout
        while not self._loaded:
            if time.time() > end: raise TimeoutError(f"{path} did not load in {self.timeout} s")
            self._event(json.loads(self.ws.recv()))

    def js(self, expression: str):
        "The value of a JavaScript expression (a promise is awaited); an exception in it is raised here."
        res = self.send('Runtime.evaluate', expression=expression, awaitPromise=True, returnByValue=True)
        if 'exceptionDetails' in res:
            raise RuntimeError(f"{expression[:80]}: {res['exceptionDetails'].get('exception', {}).get('description', res['exceptionDetails'])}")
        return res['result'].get('value')

    def wait_for(self, expression: str, timeout: float = 30, poll: float = 0.1):
        "Wait until the expression is truthy; return its value."
        end = time.time() + timeout
        while time.time() < end:
            v = self.js(expression)
            if v: return v
            time.sleep(poll)
        raise TimeoutError(f"{expression} stayed false for {timeout} s")

    def problems(self) -> list:
        "Console errors, uncaught exceptions, and lost WebGL contexts (past 16 a page, the oldest 3D scene goes blank)."
        lost = ('too many active webgl contexts', 'context lost', 'context_lost')
        return [(k, t) for k, t in self.messages if k in ('error', 'assert') or any(w in t.lower() for w in lost)]

    def close(self):
        ws = getattr(self, 'ws', None)
        if ws is not None: ws.close()
        self.proc.terminate()
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired: self.proc.kill(); self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self): return self
    def __exit__(self, *exc): self.close()
