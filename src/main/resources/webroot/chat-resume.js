// Switchboard chat page (/): the seed's chatroom protocol to /chat over switchboard.js, which
// resumes the session after a gateway restart or on another gateway: the page stays named and in
// its room, shows what was posted meanwhile (replayed before "recovered"), and what its user typed
// while disconnected is delivered once. The seed's own page, on the plain protocol: /plain.html.
//
// ?gateways=host:port,host:port (or ws:// URLs) lists the gateways to use, in turn; default: the
// one that served the page.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const state = { name: null, named: false };

  function gatewayUrls() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const listed = new URLSearchParams(location.search).get('gateways');
    const hosts = listed ? listed.split(',').map((g) => g.trim()).filter((g) => g) : [location.host];
    return hosts.map((g) => (/^wss?:\/\//.test(g) ? g : scheme + g + '/chat'));
  }

  function send(msg) {
    if (!sb.send(JSON.stringify(msg))) {
      view.info(sb.state === 'closed' ? 'not sent: the connection is closed for good; reload the page'
        : 'not sent: ' + sb.pending + ' messages wait to be sent already; wait for the connection');
    }
  }

  const view = ChatView({
    named: () => state.named,
    name: (name) => {
      send({ type: 'name', name: name });
      state.name = name;
      state.named = true;
      if (sb.state === 'open') view.status('connected as ' + name, 'up');
    },
    create: (room) => send({ type: 'create', chatroom: room }),
    join: (room) => send({ type: 'join', chatroom: room }),
    message: (text) => {
      send({ type: 'message', message: text });
      if (sb.state !== 'open') view.status('reconnecting… (' + sb.pending + ' to send)', 'down');
    },
  });

  function reloadOffer(show) {
    $('reload').hidden = !show;
  }
  $('reload').onclick = () => location.reload();

  function onMessage(data, meta) {
    if (typeof data !== 'string') return; // the chat speaks text only
    let msg;
    try {
      msg = JSON.parse(data);
    } catch (e) {
      return;
    }
    // replayed: our own logoff, announced when the dead gateway dropped our old socket; we are back
    if (meta.replayed && msg.type === 'event' && msg.event && msg.event.type === 'logoff' && msg.event.name === state.name) return;
    view.handle(msg);
  }

  function onEvent(ev) {
    switch (ev.type) {
      case 'connected': // a new session: the service asks for a name (the view answers it) and nothing else is known
        state.named = false;
        view.leftRoom();
        reloadOffer(false);
        view.status('connected', 'up');
        break;
      case 'disconnected':
        view.status('disconnected (' + ev.code + (ev.reason ? ': ' + ev.reason : '') + ')'
          + (ev.willReconnect ? ', reconnecting…' : ''), 'down');
        if (!ev.willReconnect) reloadOffer(true);
        break;
      case 'recovering':
        view.status('reconnecting… (attempt ' + ev.attempt + (sb.pending ? ', ' + sb.pending + ' to send' : '') + ')', 'down');
        break;
      case 'recovered':
        reloadOffer(false);
        view.status((state.named ? 'connected as ' + state.name : 'connected') + ' (recovered'
          + (ev.missed ? ', ' + ev.missed + ' missed' : '') + ')', 'up');
        break;
      case 'recovery-failed':
        if (!ev.restored) { // a new session: not named, in no room
          state.named = false;
          view.leftRoom();
        }
        reloadOffer(true);
        view.status('recovery failed: ' + ev.reason + ': reload', 'down');
        view.info(ev.restored
          ? 'Messages posted while you were away may be missing (' + ev.reason + '). Reload to start afresh.'
          : 'You were away too long: this is a new session (' + ev.reason + ')'
            + (ev.unsent.length ? '; ' + ev.unsent.length + ' of your messages were not sent' : '') + '. Reload to start afresh.');
        break;
      case 'error':
        if (window.console) console.warn('switchboard:', ev.message);
        break;
    }
  }

  const sb = new Switchboard(gatewayUrls(), { onMessage: onMessage, onEvent: onEvent });
  window.chatClient = sb; // for the console (and tests): sb.state, sb.pending, sb.positions
})();
