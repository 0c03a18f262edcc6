package io.switchboard.testing;

import io.vertx.core.Vertx;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The seed's chatroom protocol, end to end, as several browsers would drive it. Used against an
 * in-JVM gateway and against real separate gateway and service JVMs. Room names are prefixed so
 * that runs against one service do not see each other's rooms.
 */
public final class ChatScenario {

  private static final String QUERY = "{\"type\":\"query\",\"query\":\"name\"}";

  private final Vertx vertx;
  private final int port;
  private final String path;
  private final String lobby;
  private final String games;

  public ChatScenario(Vertx vertx, int port, String path, String roomPrefix) {
    this.vertx = vertx;
    this.port = port;
    this.path = path;
    this.lobby = roomPrefix + "lobby";
    this.games = roomPrefix + "games";
  }

  public void run() {
    try (WsClient alice = WsClient.connect(vertx, port, path, "alice");
         WsClient bob = WsClient.connect(vertx, port, path, "bob");
         WsClient carol = WsClient.connect(vertx, port, path, "carol")) {
      for (WsClient c : new WsClient[]{alice, bob, carol}) { // before any is read: updates may come at once
        // a count update of another scenario's room (an earlier run on the same cluster restating
        // its count late) is not this scenario's: dropped as soon as seen (kind "other"), as are repeats
        c.dropRepeats(text -> {
          String room = countUpdateRoom(text);
          return room == null || room.startsWith(lobby.substring(0, lobby.length() - "lobby".length())) ? room : "";
        });
      }
      for (WsClient c : new WsClient[]{alice, bob, carol}) {
        assertEquals(new io.vertx.core.json.JsonObject(QUERY), c.nextJson(), "first frame is the name query");
        assertEquals("listing", c.nextJson().getJsonObject("event").getString("type"));
      }

      // Before a name, any other command gets the name query again; garbage is ignored.
      alice.send("this is not json");
      alice.send("{\"type\":\"message\",\"message\":\"hi\"}");
      alice.expect(QUERY);
      alice.send("{\"type\":\"name\",\"name\":\"alice\"}");
      bob.send("{\"type\":\"name\",\"name\":\"bob\"}");
      // Naming has no reply: a command only named clients get answered proves both are named.
      for (WsClient c : new WsClient[]{alice, bob}) {
        c.send("{\"type\":\"join\",\"chatroom\":\"" + lobby + "-nope\"}");
        c.expect("{\"type\":\"notice\",\"notice\":\"Chatroom " + lobby + "-nope not found.\"}");
      }

      // Create: every named client hears of it; carol has no name yet.
      alice.send("{\"type\":\"create\",\"chatroom\":\"" + lobby + "\"}");
      String newLobby = event("{\"type\":\"newchatroom\",\"name\":\"" + lobby + "\"}");
      alice.expect(newLobby);
      bob.expect(newLobby);

      // Join: the joiner gets the count and the confirmation; everyone gets the count.
      alice.send("{\"type\":\"join\",\"chatroom\":\"" + lobby + "\"}");
      alice.expect(update(lobby, 1), "{\"type\":\"join\",\"chatroom\":\"" + lobby + "\"}");
      bob.expect(update(lobby, 1));
      carol.expect(update(lobby, 1));

      bob.send("{\"type\":\"join\",\"chatroom\":\"" + lobby + "-nope\"}");
      bob.expect("{\"type\":\"notice\",\"notice\":\"Chatroom " + lobby + "-nope not found.\"}");

      bob.send("{\"type\":\"join\",\"chatroom\":\"" + lobby + "\"}");
      alice.expect(event("{\"type\":\"newuser\",\"name\":\"bob\"}"), update(lobby, 2));
      bob.expect(update(lobby, 2), "{\"type\":\"join\",\"chatroom\":\"" + lobby + "\"}");
      carol.expect(update(lobby, 2));

      // Messages reach every member, the sender included.
      alice.send("{\"type\":\"message\",\"message\":\"hello, bob\"}");
      String hello = event("{\"type\":\"message\",\"name\":\"alice\",\"message\":\"hello, bob\"}");
      alice.expect(hello);
      bob.expect(hello);

      // Garbage and missing or mistyped fields are ignored; the session lives on.
      bob.send("{{{");
      bob.send("[1,2,3]");
      bob.send("{\"type\":\"join\"}");
      bob.send("{\"type\":\"message\",\"message\":5}");
      bob.send("{\"type\":\"create\"}");
      bob.send("{\"type\":\"teleport\",\"chatroom\":\"" + lobby + "\"}");
      bob.send("{\"type\":\"create\",\"chatroom\":\"" + lobby + "\"}"); // exists: nothing happens
      bob.send("{\"type\":\"message\",\"message\":\"still here\"}");
      String stillHere = event("{\"type\":\"message\",\"name\":\"bob\",\"message\":\"still here\"}");
      alice.expect(stillHere);
      bob.expect(stillHere);

      // A client that arrives later sees the rooms with their counts.
      try (WsClient dave = WsClient.connect(vertx, port, path, "dave")) {
        dave.expect(QUERY);
        io.vertx.core.json.JsonArray rooms = dave.nextJson().getJsonObject("event").getJsonArray("chatrooms");
        assertEquals(new io.vertx.core.json.JsonArray().add(lobby).add(2), find(rooms, lobby), "listing of " + rooms);
      }

      // Leaving by joining another room.
      alice.send("{\"type\":\"create\",\"chatroom\":\"" + games + "\"}");
      String newGames = event("{\"type\":\"newchatroom\",\"name\":\"" + games + "\"}");
      alice.expect(newGames);
      bob.expect(newGames);
      alice.send("{\"type\":\"join\",\"chatroom\":\"" + games + "\"}");
      alice.expect(update(lobby, 1), update(games, 1), "{\"type\":\"join\",\"chatroom\":\"" + games + "\"}");
      bob.expect(event("{\"type\":\"logoff\",\"name\":\"alice\"}"), update(lobby, 1), update(games, 1));
      carol.expect(update(lobby, 1), update(games, 1));

      // Leaving by closing the socket.
      bob.close();
      alice.expect(update(lobby, 0));
      carol.expect(update(lobby, 0));

      // Carol names herself late and joins: the room's member hears of her.
      carol.send("{\"type\":\"name\",\"name\":\"carol\"}");
      carol.send("{\"type\":\"join\",\"chatroom\":\"" + games + "\"}");
      alice.expect(event("{\"type\":\"newuser\",\"name\":\"carol\"}"), update(games, 2));
      carol.expect(update(games, 2), "{\"type\":\"join\",\"chatroom\":\"" + games + "\"}");
      carol.send("{\"type\":\"message\",\"message\":\"hi all\"}");
      String hiAll = event("{\"type\":\"message\",\"name\":\"carol\",\"message\":\"hi all\"}");
      alice.expect(hiAll);
      carol.expect(hiAll);
    }
  }

  private static io.vertx.core.json.JsonArray find(io.vertx.core.json.JsonArray rooms, String name) {
    for (int i = 0; i < rooms.size(); i++) {
      if (rooms.getJsonArray(i).getString(0).equals(name)) {
        return rooms.getJsonArray(i);
      }
    }
    return null;
  }

  private static String event(String inner) {
    return "{\"type\":\"event\",\"event\":" + inner + "}";
  }

  private static String update(String room, int count) {
    return event("{\"type\":\"update\",\"data\":[\"" + room + "\"," + count + "]}");
  }

  /**
   * The room of a count update ({@code {"type":"event","event":{"type":"update","data":[room,n]}}}),
   * else null. Chat instances restate a count that may have missed another instance's change (see
   * ChatService#reconcileCount); a client that gets the same count twice shows the same thing, so
   * the scenario takes a repeated update as one.
   */
  static String countUpdateRoom(String text) {
    if (!text.contains("\"update\"")) {
      return null;
    }
    try {
      io.vertx.core.json.JsonObject event = new io.vertx.core.json.JsonObject(text).getJsonObject("event");
      return event != null && "update".equals(event.getString("type")) ? event.getJsonArray("data").getString(0) : null;
    } catch (RuntimeException e) {
      return null;
    }
  }
}
