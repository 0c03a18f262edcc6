// Switchboard chat page over the browser event-bus bridge (/eventbus). The chat's commands go to
// demo.chat as requests (with the user's name) and the reply lists what this user is told; room
// events arrive on demo.chat.room.<room>, room creations and counts on demo.chat.rooms. Same rooms
// as the WebSocket page at /. Survives a gateway restart: the client reconnects, and this page
// re-registers, re-names itself and re-joins its room.
(function () {
  'use strict';
  const CHAT = 'demo.chat';
  const LOBBY = 'demo.chat.rooms';
  const ROOM = 'demo.chat.room.';
  const token = new URLSearchParams(location.search).get('token');
  // registered: the room address we listen on; joining: a join is on its way, so events of the
  // room we are leaving (our own logoff) are not shown; oldSelf: after a reconnect, the name whose
  // logoff the service still announces for our previous socket (not news to this user)
  const state = { name: null, registered: null, joining: false, oldSelf: null };
  const OLD_SELF_MS = 15000;

  const eb = new EventBus('/eventbus' + (token ? '?token=' + encodeURIComponent(token) : ''),
    { vertxbus_reconnect_delay_min: 500, vertxbus_reconnect_delay_max: 2000 });

  function request(cmd) {
    if (eb.state !== EventBus.OPEN) return;
    cmd.name = state.name;
    eb.send(CHAT, cmd, (err, reply) => {
      if (err) { view.info('request failed: ' + err.message); return; }
      reply.body.forEach(view.handle);
      if (cmd.type === 'join') state.joining = false;
    });
  }

  function join(room) {
    state.joining = true;
    request({ type: 'join', chatroom: room });
  }

  function onRoomEvent(err, msg) {
    if (err || state.joining) return;
    const ev = msg.body && msg.body.type === 'event' ? msg.body.event : null;
    if (ev && ev.type === 'logoff' && state.oldSelf !== null && ev.name === state.oldSelf) {
      state.oldSelf = null; // our previous socket left: we are still here
      return;
    }
    view.handle(msg.body);
  }

  const view = ChatView({
    named: () => state.name !== null,
    name: (name) => {
      state.name = name;
      view.status('connected as ' + name, 'up');
      request({ type: 'name' });
    },
    create: (room) => request({ type: 'create', chatroom: room }),
    join: join,
    message: (text) => request({ type: 'message', message: text }),
    entered: (room) => {
      if (state.registered !== room) {
        if (state.registered) eb.unregisterHandler(ROOM + state.registered, onRoomEvent);
        eb.registerHandler(ROOM + room, onRoomEvent);
        state.registered = room;
      }
    },
  });

  if (token) eb.defaultHeaders = { token: token };
  eb.enableReconnect(true);
  eb.onerror = (err) => view.info('bridge error: ' + (err.body || err.message || JSON.stringify(err)));
  eb.onclose = () => view.status('disconnected, reconnecting…', 'down');
  eb.onopen = () => {
    // a new socket: the client dropped its handlers, the service knows us no more
    state.registered = null;
    eb.registerHandler(LOBBY, (err, msg) => { if (!err) view.handle(msg.body); });
    const room = view.room;
    if (state.name) {
      view.status('connected as ' + state.name, 'up');
      request({ type: 'name' });
      if (room) {
        state.oldSelf = state.name;
        setTimeout(() => { state.oldSelf = null; }, OLD_SELF_MS);
        join(room);
      }
    } else {
      view.status('connected', 'up');
      request({ type: 'name' }); // no name yet: the reply is the name query
    }
  };
})();
