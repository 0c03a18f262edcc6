'use strict';
// The bench's "node" baseline: a plain Node.js WebSocket server on the `ws` package, one process,
// doing what the bare Vert.x verticle does (io.switchboard.bench.BareEchoVerticle and BareChat):
//   /echo             every text message back to its sender
//   /room             every text message to every socket on /room
//   /bench_chat       the seed chat's protocol (io.switchboard.demo.ChatService), the same frames
// launcher/bench starts it as `node server.js <port> [host]` with NODE_PATH naming the folder
// where it installed `ws` (target/bench-node/node_modules), and waits for "bench: node ready".

const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 0);
const host = process.argv[3] || '127.0.0.1';
const MAX_ROOMS = 1000; // ChatService.DEFAULT_MAX_ROOMS
const MAX_LISTED_ROOMS = 200; // ChatService.DEFAULT_MAX_LISTED_ROOMS

// permessage-deflate off, as on every other target
const wss = new WebSocketServer({ host, port, perMessageDeflate: false, clientTracking: false, maxPayload: 1 << 20 });

const room = new Set(); // the /room sockets

// the chat: every client, the named ones, and the rooms (name → members, in creation order)
const chatAll = new Set();
const chatNamed = new Set();
const chatRooms = new Map();

function toAll(set, text, except) {
  // encoded once, the same bytes written to every member
  const data = typeof text === 'string' ? Buffer.from(text) : text;
  for (const ws of set) {
    if (ws !== except) {
      ws.send(data, { binary: false });
    }
  }
}

function event(e) {
  return JSON.stringify({ type: 'event', event: e });
}

const NAME_QUERY = JSON.stringify({ type: 'query', query: 'name' });

function listing() {
  const list = [];
  for (const [name, members] of chatRooms) {
    if (list.length >= MAX_LISTED_ROOMS) {
      break;
    }
    list.push([name, members.size]);
  }
  return list;
}

function publishCount(name) {
  toAll(chatAll, event({ type: 'update', data: [name, chatRooms.get(name).size] }));
}

function parse(text) {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch (e) {
    return null;
  }
}

function chat(ws) {
  const user = { name: null, room: null };
  chatAll.add(ws);
  ws.send(NAME_QUERY);
  ws.send(event({ type: 'listing', chatrooms: listing() }));
  ws.on('message', (data, isBinary) => {
    const msg = isBinary ? null : parse(data.toString());
    if (msg === null) {
      return;
    }
    const type = typeof msg.type === 'string' ? msg.type : null;
    if (user.name === null) {
      if (type === 'name' && typeof msg.name === 'string') {
        user.name = msg.name;
        chatNamed.add(ws);
      } else {
        ws.send(NAME_QUERY);
      }
      return;
    }
    const name = typeof msg.chatroom === 'string' ? msg.chatroom : null;
    if (type === 'join' && name !== null) {
      const members = chatRooms.get(name);
      if (!members) {
        ws.send(JSON.stringify({ type: 'notice', notice: 'Chatroom ' + name + ' not found.' }));
        return;
      }
      if (user.room !== null) {
        const old = chatRooms.get(user.room);
        old.delete(ws);
        toAll(old, event({ type: 'logoff', name: user.name }), ws);
        publishCount(user.room);
      }
      toAll(members, event({ type: 'newuser', name: user.name }), ws);
      members.add(ws);
      user.room = name;
      publishCount(name);
      ws.send(JSON.stringify({ type: 'join', chatroom: name }));
    } else if (type === 'create' && name !== null) {
      if (!chatRooms.has(name) && chatRooms.size < MAX_ROOMS) {
        chatRooms.set(name, new Set());
        toAll(chatNamed, event({ type: 'newchatroom', name }));
      }
    } else if (type === 'message' && user.room !== null && typeof msg.message === 'string') {
      toAll(chatRooms.get(user.room), event({ type: 'message', name: user.name, message: msg.message }));
    }
  });
  ws.on('close', () => {
    chatAll.delete(ws);
    chatNamed.delete(ws);
    if (user.room !== null) {
      const members = chatRooms.get(user.room);
      members.delete(ws);
      toAll(members, event({ type: 'logoff', name: user.name }));
      publishCount(user.room);
    }
  });
}

wss.on('connection', (ws, req) => {
  ws.on('error', () => {});
  const path = req.url.split('?')[0];
  if (path === '/room') {
    room.add(ws);
    ws.on('close', () => room.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        toAll(room, data);
      }
    });
  } else if (path === '/bench_chat') {
    chat(ws);
  } else {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  }
});

wss.on('listening', () => {
  console.log('bench: node ready on port ' + wss.address().port + ' (node ' + process.version + ', ws '
    + require('ws/package.json').version + ')');
});

wss.on('error', (err) => {
  console.error('bench: node server failed: ' + err.message);
  process.exit(1);
});

process.on('SIGTERM', () => process.exit(0));
