// switchboard.js: the browser client of the switchboard.v1 protocol (docs/protocol.md, README
// "Browser client"). One file, no build step, no dependencies; plain ES2017. Loaded by a <script>
// tag it defines window.Switchboard; under CommonJS it is module.exports.
//
//   const sb = new Switchboard(['ws://gw1:8080/chat', 'ws://gw2:8080/chat'], {
//     onMessage: (data, meta) => ...,   // text (string) or binary (ArrayBuffer); meta below
//     onEvent: (ev) => ...,             // connected / disconnected / recovering / recovered / recovery-failed / error
//   });
//   sb.send('hello');                   // false when the outgoing queue is full (nothing is dropped silently)
//   sb.close();
//
// What it does: opens a WebSocket with the subprotocol switchboard.v1 and says hello; numbers
// every text message it sends (seq, from 1, on across resumes) and keeps it until the gateway
// acknowledges it; when the socket drops for any reason but a normal or "fix the client" close,
// reconnects with back-off and jitter (to the next URL of the list once an attempt fails), and
// resumes with its token and, for every group with history, the last position it got: the
// gateway replays what it missed, then this client sends again everything not acknowledged (the
// service takes each seq once). Binary frames pass through raw both ways: not numbered, not
// queued, not recovered (send returns false for them while not connected).
(function (root) {
  'use strict';

  const PROTOCOL = 'switchboard.v1';
  const DEFAULTS = {
    minDelayMs: 250,          // first reconnect delay; doubles per failed attempt
    maxDelayMs: 10000,        // longest reconnect delay
    jitter: 0.5,              // each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]
    attemptTimeoutMs: 20000,  // an attempt that got no welcome/resumed within this is given up (a gateway
                              // answers a resume within 2 x its limits.openTimeoutMs, 10 s by default)
    maxQueue: 1000,           // messages sent and not acknowledged yet, at most
    maxQueueBytes: 4194304,   // their UTF-8 bytes, at most
    gapTimeoutMs: 5000,       // a skipped position still missing this long before a drop is not asked for again
    storageKey: null,         // set: token, positions, seq and queue kept in sessionStorage (a reload resumes)
    protocols: [],            // more subprotocols offered after switchboard.v1 (e.g. ['bearer', jwt])
  };
  // Closes after which reconnecting would only repeat the failure (docs/close-codes.md): the
  // service closed the session (1000), or the client broke a rule (1002, 1003, 1007, 1008, 1009);
  // 3000-4999 are the application's own. Everything else (1001, 1006, 1011, 1012, 1013, ...) reconnects.
  const FINAL_CLOSES = [1000, 1002, 1003, 1007, 1008, 1009];
  // Positions below the last one got that are tracked per group (the gateway takes 64 'missing').
  const MAX_GAPS = 64;

  function utf8Length(text) {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; } // a surrogate pair: one 4-byte character
      else n += 3;
    }
    return n;
  }

  class Switchboard {
    /**
     * @param urls    a ws:// or wss:// URL, or a list of them (gateways of one cluster, tried in turn)
     * @param options onMessage(data, meta), onEvent(ev), and the DEFAULTS above
     */
    constructor(urls, options) {
      this.urls = Array.isArray(urls) ? urls.slice() : [urls];
      if (this.urls.length === 0) throw new Error('Switchboard: at least one URL');
      this.options = Object.assign({}, DEFAULTS, options || {});
      this.onMessage = this.options.onMessage || function () {};
      this.onEvent = this.options.onEvent || function () {};
      this.session = null;        // the session id, once welcomed
      this.token = null;          // the latest resume token (memory; sessionStorage only with storageKey)
      this.positions = {};        // group -> {epoch, position} of the highest history message got
      this._gaps = {};            // group -> [{p, t}]: positions below it not got (yet), since time t
      this._droppedAt = 0;        // when the last open connection was lost (Date.now())
      this.state = 'connecting';  // connecting | open | closed
      this.url = null;            // the URL of the current or last socket
      this._urlIndex = 0;
      this._nextSeq = 1;
      this._outbox = [];          // [{seq, data, bytes}] sent or to send, not acknowledged
      this._outboxBytes = 0;
      this._ws = null;
      this._attempt = 0;          // failed attempts since the last success
      this._timer = null;
      this._resuming = false;     // a resume is on its way: messages before 'resumed' are replays
      this._lastClose = null;     // {code, reason, url} of the socket or attempt that ended last
      this._restore();
      this._onOnline = () => { if (this.state === 'connecting' && !this._ws) this._connectNow(); };
      this._onPageHide = () => this._save();
      if (typeof window !== 'undefined' && window.addEventListener) {
        window.addEventListener('online', this._onOnline);
        window.addEventListener('pagehide', this._onPageHide);
      }
      this._open();
    }

    /**
     * Sends a text message (numbered, queued while disconnected, sent again after a resume until
     * acknowledged) or binary data (ArrayBuffer, typed array or Blob: raw, only while connected).
     * Returns false when it was not taken: the queue is full (maxQueue / maxQueueBytes), the
     * client is closed, or binary data while not connected.
     */
    send(data) {
      if (this.state === 'closed') return false;
      if (typeof data !== 'string') {
        const binary = data instanceof ArrayBuffer || ArrayBuffer.isView(data) || (typeof Blob !== 'undefined' && data instanceof Blob);
        if (!binary) throw new TypeError('Switchboard.send takes a string, an ArrayBuffer, a typed array or a Blob');
        if (this.state !== 'open') return false;
        this._ws.send(data);
        return true;
      }
      const bytes = utf8Length(data);
      if (this._outbox.length >= this.options.maxQueue || this._outboxBytes + bytes > this.options.maxQueueBytes) {
        return false;
      }
      const m = { seq: this._nextSeq++, data: data, bytes: bytes };
      this._outbox.push(m);
      this._outboxBytes += bytes;
      if (this.state === 'open') this._write(m);
      return true;
    }

    /** Messages sent and not acknowledged yet (queued while disconnected, or on their way). */
    get pending() {
      return this._outbox.length;
    }

    /** Closes for good (code 1000): no reconnect. What was not acknowledged stays in `unsent()`. */
    close() {
      if (this.state === 'closed') return;
      this.state = 'closed';
      clearTimeout(this._timer);
      if (typeof window !== 'undefined' && window.removeEventListener) {
        window.removeEventListener('online', this._onOnline);
        window.removeEventListener('pagehide', this._onPageHide);
      }
      const ws = this._ws;
      this._ws = null;
      if (ws) {
        this._detach(ws);
        try { ws.close(1000); } catch (e) { /* already closing */ }
      }
      this._save();
      this._emit({ type: 'disconnected', code: 1000, reason: 'closed by the application', willReconnect: false });
    }

    /** The texts sent and not acknowledged, in order. */
    unsent() {
      return this._outbox.map((m) => m.data);
    }

    // --- the connection --------------------------------------------------------------------

    _open() {
      clearTimeout(this._timer);
      this._timer = null;
      if (this.state === 'closed') return;
      this.state = 'connecting';
      this.url = this.urls[this._urlIndex];
      const resuming = this.token !== null;
      if (resuming) {
        this._emit({ type: 'recovering', attempt: this._attempt + 1, url: this.url, pending: this._outbox.length, lastClose: this._lastClose });
      }
      let ws;
      try {
        ws = new WebSocket(this.url, [PROTOCOL].concat(this.options.protocols));
      } catch (e) {
        // a malformed URL: as a failed attempt, so that the next URL gets its turn
        this._emit({ type: 'error', message: 'cannot open ' + this.url + ': ' + e.message });
        this._dropped(null, 1006, String(e.message));
        return;
      }
      ws.binaryType = 'arraybuffer';
      this._ws = ws;
      this._timer = setTimeout(() => {
        this._dropped(ws, 1006, 'no answer within ' + this.options.attemptTimeoutMs + ' ms');
      }, this.options.attemptTimeoutMs);
      ws.onopen = () => {
        if (ws.protocol !== PROTOCOL) {
          // a gateway that does not speak switchboard.v1 would take our JSON for the service's data
          this._dropped(ws, 1006, 'the gateway did not accept ' + PROTOCOL);
          return;
        }
        if (this.token !== null) {
          this._resuming = true;
          ws.send(JSON.stringify({ type: 'resume', token: this.token, positions: this._resumePositions() }));
        } else {
          this._resuming = false;
          ws.send(JSON.stringify({ type: 'hello' }));
        }
      };
      ws.onmessage = (e) => this._frame(e.data);
      ws.onclose = (e) => this._dropped(ws, e.code, e.reason);
      ws.onerror = () => { /* onclose follows with the code */ };
    }

    _connectNow() {
      this._attempt = 0;
      this._open();
    }

    _detach(ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    }

    /** The socket `ws` is gone (or given up): reconnect unless the close says not to. */
    _dropped(ws, code, reason) {
      if (ws !== this._ws || this.state === 'closed') return;
      clearTimeout(this._timer);
      this._timer = null;
      if (ws) {
        this._detach(ws);
        if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
          try { ws.close(4000, 'given up'); } catch (e) { /* closing already */ }
        }
      }
      this._ws = null;
      const wasOpen = this.state === 'open';
      if (wasOpen) this._droppedAt = Date.now();
      const final = FINAL_CLOSES.indexOf(code) >= 0 || (code >= 3000 && code <= 4999);
      if (final) {
        this.state = 'closed';
        this._save();
        this._emit({ type: 'disconnected', code: code, reason: reason, willReconnect: false });
        return;
      }
      this.state = 'connecting';
      if (!wasOpen) {
        this._attempt++;
        // an attempt that never got its answer: the next one goes to the next gateway
        this._urlIndex = (this._urlIndex + 1) % this.urls.length;
      }
      const delay = this._delay(wasOpen ? 0 : this._attempt);
      this._lastClose = { code: code, reason: reason, url: this.url };
      if (wasOpen) {
        this._emit({ type: 'disconnected', code: code, reason: reason, willReconnect: true, delayMs: delay });
      } else if (this.token === null) {
        // (with a token, the next 'recovering' event says how the previous attempt ended)
        this._emit({ type: 'error', message: 'cannot connect to ' + this.url + ' (' + code + (reason ? ': ' + reason : '') + '), again in ' + delay + ' ms' });
      }
      this._timer = setTimeout(() => this._open(), delay);
    }

    _delay(failures) {
      const base = Math.min(this.options.maxDelayMs, this.options.minDelayMs * Math.pow(2, failures));
      const j = this.options.jitter;
      return Math.round(base * (1 - j + Math.random() * 2 * j));
    }

    // --- frames from the gateway -----------------------------------------------------------

    _frame(data) {
      if (typeof data !== 'string') {
        this._deliver(data, { binary: true });
        return;
      }
      let f;
      try {
        f = JSON.parse(data);
      } catch (e) {
        this._emit({ type: 'error', message: 'a frame that is not JSON: ' + data.slice(0, 80) });
        return;
      }
      switch (f && f.type) {
        case 'msg': this._msg(f); break;
        case 'welcome': this._welcome(f); break;
        case 'resumed': this._resumed(f); break;
        case 'ack': this._ack(f.seq); break;
        case 'token': this.token = f.token; break;
        default: this._emit({ type: 'error', message: 'a frame of unknown type: ' + data.slice(0, 80) });
      }
    }

    _msg(f) {
      const meta = { replayed: this._resuming };
      if (f.group !== undefined) meta.group = f.group;
      if (f.epoch !== undefined && typeof f.position === 'number') {
        meta.epoch = f.epoch;
        meta.position = f.position;
        if (!this._track(f.group, f.epoch, f.position)) return; // got it already: once is enough
      }
      this._deliver(f.data, meta);
    }

    /**
     * Records that a group's message at `p` came; false when it came before. Messages of several
     * publishers may come out of position order: the positions skipped (the last MAX_GAPS) are kept
     * as gaps, so that one that comes later is taken, and a resume asks for those still missing.
     */
    _track(group, epoch, p) {
      const last = this.positions[group];
      const now = Date.now();
      if (!last || last.epoch !== epoch) {
        this.positions[group] = { epoch: epoch, position: p };
        delete this._gaps[group];
        return true;
      }
      const gaps = this._gaps[group] || [];
      if (p > last.position) {
        const kept = gaps.filter((g) => g.p >= p - MAX_GAPS && now - g.t <= this.options.gapTimeoutMs);
        for (let q = Math.max(last.position + 1, p - MAX_GAPS); q < p; q++) kept.push({ p: q, t: now });
        if (kept.length) this._gaps[group] = kept; else delete this._gaps[group];
        last.position = p;
        return true;
      }
      const i = gaps.findIndex((g) => g.p === p);
      if (i >= 0) {
        gaps.splice(i, 1);
        if (!gaps.length) delete this._gaps[group];
        return true;
      }
      return p < last.position - MAX_GAPS; // older than what is tracked: cannot tell, so taken
    }

    /** What a resume says per group: the highest position got, and the gaps that may still come. */
    _resumePositions() {
      const out = {};
      for (const group of Object.keys(this.positions)) {
        const pos = this.positions[group];
        out[group] = { epoch: pos.epoch, position: pos.position };
        // a gap older than gapTimeoutMs when the connection dropped was no message in flight
        // (e.g. one published to the group except this session): not asked for
        const missing = (this._gaps[group] || []).filter((g) => g.t >= this._droppedAt - this.options.gapTimeoutMs).map((g) => g.p);
        if (missing.length) out[group].missing = missing;
      }
      return out;
    }

    _welcome(f) {
      this.session = f.session;
      this.token = f.token;
      this._ready();
      this._emit({ type: 'connected', session: f.session, url: this.url });
    }

    _resumed(f) {
      this._resuming = false;
      this.token = f.token;
      let unsent = [];
      if (!f.restored) {
        // a new session: nothing of the old one counts (groups, positions, sequence numbers);
        // what the old one did not acknowledge goes back to the application, not to the new session
        unsent = this.unsent();
        this._outbox = [];
        this._outboxBytes = 0;
        this._nextSeq = 1;
        this.positions = {};
      } else if (!f.recovered) {
        // the application reloads its state; the gateway's token now says where each group
        // stands, so a later resume starts from there instead of failing the same way again
        this.positions = {};
      }
      // the replay is complete: a gap the gateway did not fill is no message for this session
      this._gaps = {};
      this.session = f.session;
      this._ready();
      const ev = { session: f.session, url: this.url, restored: !!f.restored, recovered: !!f.recovered, missed: f.missed || 0 };
      if (f.restored && f.recovered) {
        this._emit(Object.assign({ type: 'recovered' }, ev));
      } else {
        this._emit(Object.assign({ type: 'recovery-failed', reason: f.reason || (f.restored ? 'not recovered' : 'session not restored'), unsent: unsent }, ev));
      }
    }

    /** welcome or resumed: the session is open; everything not acknowledged goes (again), in order. */
    _ready() {
      clearTimeout(this._timer);
      this._timer = null;
      this.state = 'open';
      this._attempt = 0;
      for (const m of this._outbox) this._write(m);
      this._save();
    }

    _ack(seq) {
      if (typeof seq !== 'number') return;
      while (this._outbox.length > 0 && this._outbox[0].seq <= seq) {
        this._outboxBytes -= this._outbox.shift().bytes;
      }
    }

    _write(m) {
      this._ws.send(JSON.stringify({ type: 'msg', seq: m.seq, data: m.data }));
    }

    _deliver(data, meta) {
      try {
        this.onMessage(data, meta);
      } catch (e) {
        this._emit({ type: 'error', message: 'onMessage threw: ' + e });
      }
    }

    _emit(ev) {
      try {
        this.onEvent(ev);
      } catch (e) {
        if (typeof console !== 'undefined') console.error('Switchboard onEvent threw', e);
      }
    }

    // --- sessionStorage (only with options.storageKey) -----------------------------------

    _storage() {
      try {
        return this.options.storageKey && typeof sessionStorage !== 'undefined' ? sessionStorage : null;
      } catch (e) {
        return null; // storage disabled by the browser
      }
    }

    _save() {
      const s = this._storage();
      if (!s) return;
      try {
        if (this.token === null) {
          s.removeItem(this.options.storageKey);
          return;
        }
        s.setItem(this.options.storageKey, JSON.stringify({
          token: this.token, positions: this.positions, nextSeq: this._nextSeq,
          outbox: this._outbox.map((m) => [m.seq, m.data]),
        }));
      } catch (e) {
        this._emit({ type: 'error', message: 'cannot keep the session in sessionStorage: ' + e.message });
      }
    }

    _restore() {
      const s = this._storage();
      if (!s) return;
      try {
        const saved = JSON.parse(s.getItem(this.options.storageKey) || 'null');
        if (!saved || typeof saved.token !== 'string') return;
        this.token = saved.token;
        this.positions = saved.positions || {};
        this._nextSeq = saved.nextSeq || 1;
        for (const [seq, data] of saved.outbox || []) {
          const bytes = utf8Length(data);
          this._outbox.push({ seq: seq, data: data, bytes: bytes });
          this._outboxBytes += bytes;
        }
      } catch (e) {
        this._emit({ type: 'error', message: 'ignoring a saved session that does not read: ' + e.message });
      }
    }
  }

  Switchboard.PROTOCOL = PROTOCOL;
  Switchboard.DEFAULTS = DEFAULTS;
  if (root) root.Switchboard = Switchboard;
  if (typeof module !== 'undefined' && module.exports) module.exports = Switchboard;
})(typeof window !== 'undefined' ? window : this);
