// Switchboard chat page: the seed's chatroom protocol over a raw WebSocket to /chat.
(function () {
  'use strict';
  const state = { ws: null, named: false };

  function send(msg) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
  }

  const view = ChatView({
    named: () => state.named,
    name: (name) => {
      send({ type: 'name', name: name });
      state.named = true;
      view.status('connected as ' + name, 'up');
    },
    create: (room) => send({ type: 'create', chatroom: room }),
    join: (room) => send({ type: 'join', chatroom: room }),
    message: (text) => send({ type: 'message', message: text }),
  });

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const ws = new WebSocket(scheme + location.host + '/chat');
    state.ws = ws;
    ws.onopen = () => view.status('connected', 'up');
    ws.onmessage = (e) => view.handle(JSON.parse(e.data));
    ws.onclose = (e) => {
      view.status('disconnected (' + e.code + (e.reason ? ': ' + e.reason : '') + '), retrying…', 'down');
      state.named = false;
      view.leftRoom();
      setTimeout(connect, 2000);
    };
  }

  connect();
})();
