package io.switchboard.gateway.impl;

import io.switchboard.config.ConfigException;
import io.switchboard.demo.EchoService;
import io.switchboard.gateway.GatewayOptions;
import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.testing.RawWebSocket;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("permessage-deflate (\"compression\": {\"enabled\": true})")
class CompressionTest {

  private static final int MAX_FRAME = 65536;
  private static final int MAX_MESSAGE = 262144;
  private static Vertx vertx;
  private static int port;

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    GatewayVerticle gateway = new GatewayVerticle();
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/echo", "echo"))
      .put("metrics", new JsonObject().put("enabled", false))
      .put("compression", new JsonObject().put("enabled", true))
      .put("limits", new JsonObject().put("maxFrameSize", MAX_FRAME).put("maxMessageSize", MAX_MESSAGE));
    await(vertx.deployVerticle(new EchoService())
      .compose(id -> vertx.deployVerticle(gateway, new DeploymentOptions().setConfig(conf))));
    port = gateway.actualPort();
  }

  @AfterAll
  static void close() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("a Vert.x client that asks for it negotiates it, with no context takeover either way, and gets its echoes")
  void vertxClientEchoes() throws Exception {
    // a Netty-based client must accept client_no_context_takeover, which the gateway asks by default
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setTryUsePerMessageCompression(true)
      .setCompressionAllowClientNoContext(true));
    try {
      WebSocket ws = await(client.connect(new WebSocketConnectOptions().setPort(port).setHost("127.0.0.1").setURI("/echo")));
      String extensions = ws.headers().get("sec-websocket-extensions");
      assertTrue(extensions != null && extensions.contains("permessage-deflate"), "extensions: " + extensions);
      assertTrue(extensions.contains("server_no_context_takeover"), "extensions: " + extensions);
      assertTrue(extensions.contains("client_no_context_takeover"), "extensions: " + extensions);
      BlockingQueue<String> echoes = new LinkedBlockingQueue<>();
      ws.textMessageHandler(echoes::add);
      String big = "chat ".repeat(10_000); // 50 KB: compresses to a few hundred bytes
      for (String text : List.of("Hello, world!", "κόσμε", big)) {
        await(ws.writeTextMessage(text));
        assertEquals(text, echoes.poll(10, TimeUnit.SECONDS));
      }
      await(ws.close());
    } finally {
      await(client.close());
    }
  }

  @Test
  @DisplayName("a raw client's compressed frames are inflated for the service and its echoes come back compressed")
  void rawCompressedEcho() throws Exception {
    try (DeflateSocket ws = DeflateSocket.open(port, "/echo", true)) {
      for (String text : List.of("Hello, world!", "second message, a fresh deflate context", "Hello, world!")) {
        ws.compressed(DeflateSocket.TEXT, text.getBytes(StandardCharsets.UTF_8));
        DeflateSocket.Frame echo = ws.read();
        assertEquals(4, echo.rsv, "RSV1: the echo is compressed");
        assertEquals(text, new String(DeflateSocket.inflate(echo.payload), StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  @DisplayName("a client that does not ask gets no extension, and RSV1 from it gets 1002")
  void notAsked() throws Exception {
    try (RawWebSocket ws = RawWebSocket.open(port, "/echo")) {
      assertNull(ws.headers.get("sec-websocket-extensions"));
      ws.frame(true, 4, RawWebSocket.TEXT, true, "hi".getBytes(StandardCharsets.UTF_8));
      assertEquals(1002, ws.awaitCloseCode());
    }
  }

  @Test
  @DisplayName("a compressed frame that inflates beyond maxFrameSize (but within maxMessageSize) gets 1009")
  void inflatesBeyondFrameSize() throws Exception {
    try (DeflateSocket ws = DeflateSocket.open(port, "/echo", true)) {
      ws.compressed(DeflateSocket.BINARY, new byte[MAX_FRAME * 2]);
      assertEquals(1009, ws.awaitCloseCode());
    }
  }

  @Test
  @DisplayName("an offer limiting the gateway's window to 8 bits is declined (the JDK's zlib has 15), one allowing 15 is accepted")
  void windowBits() throws Exception {
    try (DeflateSocket ws = DeflateSocket.open(port, "/echo", "permessage-deflate; server_max_window_bits=8", false)) {
      assertNull(ws.headers.get("sec-websocket-extensions"));
      ws.frame(true, 0, DeflateSocket.TEXT, "plain".getBytes(StandardCharsets.UTF_8));
      assertEquals("plain", new String(ws.read().payload, StandardCharsets.UTF_8));
    }
    try (DeflateSocket ws = DeflateSocket.open(port, "/echo",
      "permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=15", true)) {
      assertTrue(ws.headers.get("sec-websocket-extensions").contains("server_max_window_bits=15"),
        ws.headers.get("sec-websocket-extensions"));
      ws.compressed(DeflateSocket.TEXT, "fifteen".getBytes(StandardCharsets.UTF_8));
      assertEquals("fifteen", new String(DeflateSocket.inflate(ws.read().payload), StandardCharsets.UTF_8));
    }
  }

  @Test
  @DisplayName("a compressed frame that does not inflate gets 1007")
  void doesNotInflate() throws Exception {
    try (DeflateSocket ws = DeflateSocket.open(port, "/echo", true)) {
      ws.frame(true, 4, DeflateSocket.TEXT, new byte[]{(byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3});
      assertEquals(1007, ws.awaitCloseCode());
    }
  }

  @Test
  @DisplayName("a compressed message whose fragments inflate beyond maxMessageSize gets 1009")
  void fragmentsInflateBeyondMessageSize() throws Exception {
    try (DeflateSocket ws = DeflateSocket.open(port, "/echo", true)) {
      // one deflate stream over 5 fragments of 60 000 zero bytes each: 300 000 > 262 144
      Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
      for (int i = 0; i < 5; i++) {
        byte[] part = DeflateSocket.deflate(deflater, new byte[60_000], i == 4);
        ws.frame(i == 4, i == 0 ? 4 : 0, i == 0 ? DeflateSocket.BINARY : 0, part);
      }
      deflater.end();
      assertEquals(1009, ws.awaitCloseCode());
    }
  }

  @Test
  @DisplayName("zip bombs on 16 sockets at once (64 KB frames that inflate to 64 MB each) get 1009, the heap stays bounded and the gateway still echoes")
  void zipBombs() throws Exception {
    byte[] bomb = DeflateSocket.deflate(new byte[64 << 20]);
    assertTrue(bomb.length <= MAX_FRAME, "the bomb fits in one frame: " + bomb.length);
    System.gc();
    long before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    List<DeflateSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 16; i++) {
        sockets.add(DeflateSocket.open(port, "/echo", true));
      }
      for (DeflateSocket ws : sockets) {
        ws.frame(true, 4, DeflateSocket.BINARY, bomb);
      }
      for (DeflateSocket ws : sockets) {
        assertEquals(1009, ws.awaitCloseCode());
      }
    } finally {
      sockets.forEach(DeflateSocket::close);
    }
    System.gc();
    long after = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    // unbounded, 16 bombs would hold 1 GB; bounded, each holds at most maxFrameSize at a time
    assertTrue(after - before < 64L << 20, "live heap grew by " + (after - before) + " bytes");
    try (DeflateSocket ws = DeflateSocket.open(port, "/echo", true)) {
      ws.compressed(DeflateSocket.TEXT, "still here".getBytes(StandardCharsets.UTF_8));
      assertEquals("still here", new String(DeflateSocket.inflate(ws.read().payload), StandardCharsets.UTF_8));
    }
  }

  @Test
  @DisplayName("is off by default, and a bad key or level is refused with a message naming it")
  void options() {
    GatewayOptions defaults = GatewayOptions.fromJson(new JsonObject(), Map.of());
    assertFalse(defaults.compressionEnabled());
    assertEquals(GatewayOptions.DEFAULT_COMPRESSION_LEVEL, defaults.compressionLevel());
    assertTrue(defaults.compressionServerNoContextTakeover());
    assertTrue(defaults.compressionClientNoContextTakeover());
    ConfigException level = assertThrows(ConfigException.class, () -> GatewayOptions.fromJson(
      new JsonObject().put("compression", new JsonObject().put("level", 10)), Map.of()));
    assertTrue(level.getMessage().contains("level"), level.getMessage());
    ConfigException unknown = assertThrows(ConfigException.class, () -> GatewayOptions.fromJson(
      new JsonObject().put("compression", new JsonObject().put("windowBits", 10)), Map.of()));
    assertTrue(unknown.getMessage().contains("windowBits"), unknown.getMessage());
  }

  /** A blocking client that speaks permessage-deflate by hand (java.util.zip, raw deflate). */
  static final class DeflateSocket implements AutoCloseable {
    static final int TEXT = 1;
    static final int BINARY = 2;
    private static final byte[] TAIL = {0, 0, (byte) 0xff, (byte) 0xff};

    record Frame(int rsv, int opcode, byte[] payload) {
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    final Map<String, String> headers = new HashMap<>();

    private DeflateSocket(Socket socket) throws IOException {
      this.socket = socket;
      socket.setSoTimeout(10_000);
      in = socket.getInputStream();
      out = socket.getOutputStream();
    }

    static DeflateSocket open(int port, String path, boolean offer) throws IOException {
      return open(port, path, offer ? "permessage-deflate; client_max_window_bits" : null, offer);
    }

    /** Opens with {@code offer} as Sec-WebSocket-Extensions (none if null); {@code expect}: fail if not negotiated. */
    static DeflateSocket open(int port, String path, String offer, boolean expect) throws IOException {
      DeflateSocket ws = new DeflateSocket(new Socket("127.0.0.1", port));
      String head = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + (offer != null ? "Sec-WebSocket-Extensions: " + offer + "\r\n" : "") + "\r\n";
      ws.out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      ws.out.flush();
      String status = ws.line();
      for (String h = ws.line(); !h.isEmpty(); h = ws.line()) {
        int colon = h.indexOf(':');
        ws.headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      if (!status.contains(" 101 ")) {
        ws.close();
        throw new IOException("upgrade answered " + status);
      }
      if (expect && !String.valueOf(ws.headers.get("sec-websocket-extensions")).contains("permessage-deflate")) {
        ws.close();
        throw new IOException("no permessage-deflate in the answer: " + ws.headers);
      }
      return ws;
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        if (c != '\r') {
          sb.append((char) c);
        }
      }
      return sb.toString();
    }

    /** One whole message in one compressed frame (a fresh deflate context). */
    void compressed(int opcode, byte[] data) throws IOException {
      frame(true, 4, opcode, deflate(data));
    }

    void frame(boolean fin, int rsv, int opcode, byte[] payload) throws IOException {
      ByteArrayOutputStream f = new ByteArrayOutputStream();
      f.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
      if (payload.length < 126) {
        f.write(0x80 | payload.length);
      } else if (payload.length < 65536) {
        f.write(0x80 | 126);
        f.write(payload.length >> 8);
        f.write(payload.length);
      } else {
        f.write(0x80 | 127);
        for (int i = 7; i >= 0; i--) {
          f.write((int) ((long) payload.length >> (8 * i)));
        }
      }
      byte[] mask = {1, 2, 3, 4};
      f.write(mask);
      byte[] masked = payload.clone();
      for (int i = 0; i < masked.length; i++) {
        masked[i] ^= mask[i & 3];
      }
      f.write(masked);
      out.write(f.toByteArray());
      out.flush();
    }

    Frame read() throws IOException {
      int b0 = in.read();
      int b1 = in.read();
      if (b0 < 0 || b1 < 0) {
        throw new IOException("the connection ended");
      }
      long len = b1 & 0x7f;
      if (len == 126) {
        len = (in.read() << 8) | in.read();
      } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) {
          len = (len << 8) | in.read();
        }
      }
      byte[] payload = in.readNBytes((int) len);
      return new Frame((b0 >> 4) & 7, b0 & 0x0f, payload);
    }

    /** Reads frames until a close frame and returns its code; 1006 when the connection ends without one. */
    int awaitCloseCode() throws IOException {
      try {
        while (true) {
          Frame f = read();
          if (f.opcode == 8) {
            return f.payload.length >= 2 ? ((f.payload[0] & 0xff) << 8) | (f.payload[1] & 0xff) : 1005;
          }
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError("no close frame within 10 s");
      } catch (IOException e) {
        return 1006;
      }
    }

    static byte[] deflate(byte[] data) {
      Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
      try {
        return deflate(deflater, data, true);
      } finally {
        deflater.end();
      }
    }

    /** Deflates with a sync flush; the last part of a message loses its 00 00 FF FF tail (RFC 7692 7.2.1). */
    static byte[] deflate(Deflater deflater, byte[] data, boolean last) {
      deflater.setInput(data);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH)) > 0) {
        out.write(buf, 0, n);
      }
      byte[] all = out.toByteArray();
      if (last && all.length >= 4 && Arrays.equals(Arrays.copyOfRange(all, all.length - 4, all.length), TAIL)) {
        return Arrays.copyOf(all, all.length - 4);
      }
      return all;
    }

    static byte[] inflate(byte[] data) throws DataFormatException {
      Inflater inflater = new Inflater(true);
      try {
        byte[] in = Arrays.copyOf(data, data.length + 4);
        System.arraycopy(TAIL, 0, in, data.length, 4);
        inflater.setInput(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = inflater.inflate(buf)) > 0) {
          out.write(buf, 0, n);
        }
        return out.toByteArray();
      } finally {
        inflater.end();
      }
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
