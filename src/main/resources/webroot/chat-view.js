// The chat UI both demo pages share (index.html over a raw WebSocket, bridge.html over the
// event-bus bridge): the room list, the messages, the status line and the three forms, driven by
// the seed chat protocol's messages. A page supplies the transport:
//   { named(), name(n), create(room), join(room), message(text), entered(room) (optional) }
window.ChatView = function (transport) {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const view = { room: null, rooms: new Map() };

  // One message of the chat protocol, as the service sent it.
  view.handle = function (msg) {
    if (msg.type === 'query' && msg.query === 'name') {
      const typed = $('name').value.trim();
      if (typed && !transport.named()) transport.name(typed); else $('name').focus();
    } else if (msg.type === 'notice') {
      view.info(msg.notice);
    } else if (msg.type === 'join') {
      if (transport.entered) transport.entered(msg.chatroom);
      view.enterRoom(msg.chatroom);
    } else if (msg.type === 'event') {
      const ev = msg.event;
      switch (ev.type) {
        case 'listing': view.rooms = new Map(ev.chatrooms.map(([n, c]) => [n, c])); view.renderRooms(); break;
        case 'update': view.rooms.set(ev.data[0], ev.data[1]); view.renderRooms(); break;
        case 'newchatroom': if (!view.rooms.has(ev.name)) view.rooms.set(ev.name, 0); view.renderRooms(); break;
        case 'message': view.line(ev.name, ev.message); break;
        case 'newuser': view.info(ev.name + ' joined the room'); break;
        case 'logoff': view.info(ev.name + ' left the room'); break;
      }
    }
  };

  view.enterRoom = function (room) {
    if (view.room !== room) $('messages').innerHTML = '';
    view.room = room;
    $('room-title').textContent = 'Room: ' + room;
    $('message').disabled = $('send').disabled = false;
    view.renderRooms();
  };

  view.leftRoom = function () {
    view.room = null;
  };

  view.renderRooms = function () {
    const ul = $('rooms');
    ul.innerHTML = '';
    for (const [name, count] of view.rooms) {
      const li = document.createElement('li');
      li.className = name === view.room ? 'current' : '';
      li.dataset.room = name;
      li.innerHTML = '<span></span><span class="count"></span>';
      li.firstChild.textContent = name;
      li.lastChild.textContent = count;
      li.onclick = () => transport.named() ? transport.join(name) : $('name').focus();
      ul.appendChild(li);
    }
  };

  view.line = function (name, text) {
    const li = document.createElement('li');
    const b = document.createElement('b');
    b.textContent = name;
    li.append(b, document.createTextNode(text));
    append(li);
  };

  view.info = function (text) {
    const li = document.createElement('li');
    li.className = 'info';
    li.textContent = text;
    append(li);
  };

  view.status = function (text, cls) {
    $('status').textContent = text;
    $('status').className = 'status ' + (cls || '');
  };

  function append(li) {
    const ol = $('messages');
    ol.appendChild(li);
    ol.scrollTop = ol.scrollHeight;
  }

  $('name-form').onsubmit = (e) => {
    e.preventDefault();
    const name = $('name').value.trim();
    if (name && !transport.named()) transport.name(name);
  };
  $('create-form').onsubmit = (e) => {
    e.preventDefault();
    const room = $('new-room').value.trim();
    if (!room) return;
    if (!transport.named()) { $('name').focus(); return; }
    transport.create(room);
    transport.join(room);
    $('new-room').value = '';
  };
  $('message-form').onsubmit = (e) => {
    e.preventDefault();
    const text = $('message').value;
    if (text && view.room) transport.message(text);
    $('message').value = '';
  };
  return view;
};
