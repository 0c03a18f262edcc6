// Switchboard chat page: the seed's chatroom protocol over a raw WebSocket to /chat.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const state = { ws: null, named: false, room: null, rooms: new Map() };

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const ws = new WebSocket(scheme + location.host + '/chat');
    state.ws = ws;
    ws.onopen = () => status('connected', 'up');
    ws.onmessage = (e) => handle(JSON.parse(e.data));
    ws.onclose = (e) => {
      status('disconnected (' + e.code + (e.reason ? ': ' + e.reason : '') + '), retrying…', 'down');
      state.named = false;
      state.room = null;
      setTimeout(connect, 2000);
    };
  }

  function send(msg) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
  }

  function handle(msg) {
    if (msg.type === 'query' && msg.query === 'name') {
      const saved = $('name').value.trim();
      if (saved && !state.named) nameMe(saved); else $('name').focus();
    } else if (msg.type === 'notice') {
      info(msg.notice);
    } else if (msg.type === 'join') {
      state.room = msg.chatroom;
      $('messages').innerHTML = '';
      $('room-title').textContent = 'Room: ' + msg.chatroom;
      $('message').disabled = $('send').disabled = false;
      renderRooms();
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
    send({ type: 'name', name: name });
    state.named = true;
    status('connected as ' + name, 'up');
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
      li.onclick = () => state.named ? send({ type: 'join', chatroom: name }) : $('name').focus();
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
    if (name && !state.named) nameMe(name);
  };
  $('create-form').onsubmit = (e) => {
    e.preventDefault();
    const room = $('new-room').value.trim();
    if (!room) return;
    if (!state.named) { $('name').focus(); return; }
    send({ type: 'create', chatroom: room });
    send({ type: 'join', chatroom: room });
    $('new-room').value = '';
  };
  $('message-form').onsubmit = (e) => {
    e.preventDefault();
    const text = $('message').value;
    if (text && state.room) send({ type: 'message', message: text });
    $('message').value = '';
  };

  connect();
})();
