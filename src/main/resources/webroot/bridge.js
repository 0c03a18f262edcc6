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
  const $ = (id) => document.getElementById(id);
  const token = new URLSearchParams(location.search).get('token');
  // room: the room we are in; registered: the room address we listen on; joining: a join is on
  // its way, so events of the room we are leaving (our own logoff) are not shown
  const state = { name: null, room: null, registered: null, joining: false, rooms: new Map() };

  const eb = new EventBus('/eventbus' + (token ? '?token=' + encodeURIComponent(token) : ''),
    { vertxbus_reconnect_delay_min: 500, vertxbus_reconnect_delay_max: 2000 });
  if (token) eb.defaultHeaders = { token: token };
  eb.enableReconnect(true);
  eb.onerror = (err) => info('bridge error: ' + (err.body || err.message || JSON.stringify(err)));
  eb.onclose = () => status('disconnected, reconnecting…', 'down');
  eb.onopen = () => {
    // a new socket: the client dropped its handlers, the service knows us no more
    state.registered = null;
    eb.registerHandler(LOBBY, (err, msg) => { if (!err) handle(msg.body); });
    const room = state.room;
    if (state.name) {
      status('connected as ' + state.name, 'up');
      request({ type: 'name' });
      if (room) join(room);
    } else {
      status('connected', 'up');
      request({ type: 'name' }); // no name yet: the reply is the name query
    }
  };

  function request(cmd) {
    if (eb.state !== EventBus.OPEN) return;
    cmd.name = state.name;
    eb.send(CHAT, cmd, (err, reply) => {
      if (err) { info('request failed: ' + err.message); return; }
      reply.body.forEach(handle);
      if (cmd.type === 'join') state.joining = false;
    });
  }

  function join(room) {
    state.joining = true;
    request({ type: 'join', chatroom: room });
  }

  function onRoomEvent(err, msg) {
    if (!err && !state.joining) handle(msg.body);
  }

  function enterRoom(room) {
    if (state.registered !== room) {
      if (state.registered) eb.unregisterHandler(ROOM + state.registered, onRoomEvent);
      eb.registerHandler(ROOM + room, onRoomEvent);
      state.registered = room;
    }
    if (state.room !== room) $('messages').innerHTML = '';
    state.room = room;
    $('room-title').textContent = 'Room: ' + room;
    $('message').disabled = $('send').disabled = false;
    renderRooms();
  }

  function handle(msg) {
    if (msg.type === 'query' && msg.query === 'name') {
      const typed = $('name').value.trim();
      if (typed && !state.name) nameMe(typed); else $('name').focus();
    } else if (msg.type === 'notice') {
      info(msg.notice);
    } else if (msg.type === 'join') {
      enterRoom(msg.chatroom);
    } else if (msg.type === 'event') {
      const ev = msg.event;
      switch (ev.type) {
        case 'listing': state.rooms = new Map(ev.chatrooms.map(([n, c]) => [n, c])); renderRooms(); break;
        case 'update': state.rooms.set(ev.data[0], ev.data[1]); renderRooms(); break;
        case 'newchatroom': if (!state.rooms.has(ev.name)) state.rooms.set(ev.name, 0); renderRooms(); break;
        case 'message': line(ev.name, ev.message); break;
        case 'newuser': info(ev.name + ' joined the room'); break;
        case 'logoff': info(ev.name + ' left the room'); break;
      }
    }
  }

  function nameMe(name) {
    state.name = name;
    status('connected as ' + name, 'up');
    request({ type: 'name' });
  }

  function renderRooms() {
    const ul = $('rooms');
    ul.innerHTML = '';
    for (const [name, count] of state.rooms) {
      const li = document.createElement('li');
      li.className = name === state.room ? 'current' : '';
      li.dataset.room = name;
      li.innerHTML = '<span></span><span class="count"></span>';
      li.firstChild.textContent = name;
      li.lastChild.textContent = count;
      li.onclick = () => state.name ? join(name) : $('name').focus();
      ul.appendChild(li);
    }
  }

  function line(name, text) {
    const li = document.createElement('li');
    const b = document.createElement('b');
    b.textContent = name;
    li.append(b, document.createTextNode(text));
    append(li);
  }

  function info(text) {
    const li = document.createElement('li');
    li.className = 'info';
    li.textContent = text;
    append(li);
  }

  function append(li) {
    const ol = $('messages');
    ol.appendChild(li);
    ol.scrollTop = ol.scrollHeight;
  }

  function status(text, cls) {
    $('status').textContent = text;
    $('status').className = 'status ' + (cls || '');
  }

  $('name-form').onsubmit = (e) => {
    e.preventDefault();
    const name = $('name').value.trim();
    if (name && !state.name) nameMe(name);
  };
  $('create-form').onsubmit = (e) => {
    e.preventDefault();
    const room = $('new-room').value.trim();
    if (!room) return;
    if (!state.name) { $('name').focus(); return; }
    request({ type: 'create', chatroom: room });
    join(room);
    $('new-room').value = '';
  };
  $('message-form').onsubmit = (e) => {
    e.preventDefault();
    const text = $('message').value;
    if (text && state.room) request({ type: 'message', message: text });
    $('message').value = '';
  };
})();
