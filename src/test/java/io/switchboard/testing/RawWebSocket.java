package io.switchboard.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket client on a bare socket, for sending what well-behaved clients never send:
 * malformed handshakes and frames, unmasked or fragmented frames, bad opcodes and payloads.
 */
public final class RawWebSocket implements AutoCloseable {

  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CONTINUATION = 0x0;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawWebSocket(int port) throws IOException {
    this(port, null);
  }

  private RawWebSocket(int port, String localAddress) throws IOException {
    socket = localAddress == null ? new Socket("127.0.0.1", port)
      : new Socket(java.net.InetAddress.getByName("127.0.0.1"), port, java.net.InetAddress.getByName(localAddress), 0);
    socket.setSoTimeout(10_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** Sends a request head as given (CRLF line ends added) and returns the response status code. */
  public static int handshakeStatus(int port, String... headLines) throws IOException {
    try (RawWebSocket ws = new RawWebSocket(port)) {
      ws.out.write((String.join("\r\n", headLines) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      ws.out.flush();
      return ws.readStatus();
    }
  }

  /** Sends a request head as given and returns the whole answer head: status and headers. */
  public static RawWebSocket handshake(int port, String... headLines) throws IOException {
    try (RawWebSocket ws = new RawWebSocket(port)) {
      ws.out.write((String.join("\r\n", headLines) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      ws.out.flush();
      ws.status = ws.readStatus();
      return ws;
    }
  }

  /** A standard handshake head for {@code path}, plus extra header lines. */
  public static String[] head(String method, String path, String... extra) {
    String[] base = {method + " " + path + " HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return all;
  }

  /** Opens a WebSocket on {@code path} with a correct handshake. */
  public static RawWebSocket open(int port, String path) throws IOException {
    return open(port, path, null);
  }

  /** Sends a correct handshake from a local address (e.g. 127.0.0.2); returns the status in {@link #status}. */
  public static RawWebSocket connectFrom(int port, String path, String localAddress) throws IOException {
    RawWebSocket ws = new RawWebSocket(port, localAddress);
    ws.out.write((String.join("\r\n", head("GET", path)) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    ws.out.flush();
    ws.status = ws.readStatus();
    return ws;
  }

  /** The handshake's status, for {@link #connectFrom}. */
  public int status;

  /** The response headers of the handshake, names in lower case (the last value of each). */
  public final java.util.Map<String, String> headers = new java.util.HashMap<>();

  /** Opens a WebSocket on {@code path} with a correct handshake from a local address (null: any). */
  public static RawWebSocket open(int port, String path, String localAddress) throws IOException {
    RawWebSocket ws = new RawWebSocket(port, localAddress);
    ws.out.write((String.join("\r\n", head("GET", path)) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    ws.out.flush();
    int status = ws.readStatus();
    if (status != 101) {
      ws.close();
      throw new IOException("upgrade to " + path + " answered " + status);
    }
    return ws;
  }

  /** Sends one frame: FIN flag, RSV bits, opcode, masked or not, payload as given. */
  public void frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) throws IOException {
    out.write(encode(fin, rsv, opcode, masked, payload));
    out.flush();
  }

  /** One frame's bytes: FIN flag, RSV bits, opcode, masked (with a random key) or not, payload as given. */
  public static byte[] encode(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    int maskBit = masked ? 0x80 : 0;
    if (payload.length < 126) {
      f.write(maskBit | payload.length);
    } else if (payload.length < 65536) {
      f.write(maskBit | 126);
      f.write(payload.length >>> 8);
      f.write(payload.length & 0xff);
    } else {
      f.write(maskBit | 127);
      long len = payload.length;
      for (int i = 7; i >= 0; i--) {
        f.write((int) (len >>> (8 * i)) & 0xff);
      }
    }
    byte[] data = payload.clone();
    if (masked) {
      byte[] mask = new byte[4];
      java.util.concurrent.ThreadLocalRandom.current().nextBytes(mask);
      f.write(mask, 0, 4);
      for (int i = 0; i < data.length; i++) {
        data[i] ^= mask[i % 4];
      }
    }
    f.write(data, 0, data.length);
    return f.toByteArray();
  }

  /**
   * Sends a correct handshake for {@code path} and, in the same write, {@code frames} (e.g. from
   * {@link #encode}): a client that does not wait for the 101. Returns the status in {@link #status}.
   */
  public static RawWebSocket openPipelined(int port, String path, byte[] frames) throws IOException {
    RawWebSocket ws = new RawWebSocket(port, null);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.write((String.join("\r\n", head("GET", path)) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    all.write(frames);
    ws.out.write(all.toByteArray());
    ws.out.flush();
    ws.status = ws.readStatus();
    return ws;
  }

  /** A well-formed client frame. */
  public void frame(int opcode, byte[] payload) throws IOException {
    frame(true, 0, opcode, true, payload);
  }

  /**
   * Reads server frames until a close frame and returns its code (1005 for none given), or
   * 1006 when the connection ended without one. Data frames before it are skipped.
   */
  public int awaitCloseCode() throws IOException {
    return readCloseCode(in);
  }

  /**
   * {@link #awaitCloseCode()} for any socket's input: a close frame's code (1005 for none), or
   * 1006 when the connection ends without one; fails when the socket's read timeout passes first
   * (a connection left open and silent).
   */
  public static int readCloseCode(InputStream in) {
    try {
      while (true) {
        int b0 = in.read();
        if (b0 < 0) {
          return 1006;
        }
        int b1 = in.read();
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
        if ((b0 & 0x0f) == CLOSE) {
          return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no close frame and no end of the connection within the read timeout");
    } catch (IOException e) {
      return 1006;
    }
  }

  /**
   * Reads the next data frame's payload as text (skipping pings). Fails with an
   * {@link IOException} when the server closes or the connection ends first, and with an
   * {@link AssertionError} when nothing arrives within 10 s.
   */
  public String readText() throws IOException {
    try {
      return readTextFrame();
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no frame within 10 s", e);
    }
  }

  private String readTextFrame() throws IOException {
    while (true) {
      int b0 = in.read();
      int b1 = in.read();
      if (b0 < 0 || b1 < 0) {
        throw new java.io.EOFException("the connection ended before a data frame arrived");
      }
      long len = b1 & 0x7f;
      if (len == 126) {
        len = (readByte() << 8) | readByte();
      } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) {
          len = (len << 8) | readByte();
        }
      }
      byte[] payload = in.readNBytes((int) len);
      if (payload.length < len) {
        throw new java.io.EOFException("the connection ended inside a frame");
      }
      int opcode = b0 & 0x0f;
      if (opcode == TEXT || opcode == BINARY) {
        return new String(payload, StandardCharsets.UTF_8);
      }
      if (opcode == CLOSE) {
        throw new IOException("closed by the server");
      }
    }
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new java.io.EOFException("the connection ended inside a frame header");
    }
    return b;
  }

  /** The underlying socket, e.g. to stop reading from it. */
  public Socket socket() {
    return socket;
  }

  private int readStatus() throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      line.append((char) c);
    }
    String[] parts = line.toString().split(" ");
    if (parts.length < 2) {
      return -1; // connection closed without a response
    }
    // skip the rest of the head, up to the empty line
    StringBuilder header = new StringBuilder();
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        String h = header.toString().trim();
        if (h.isEmpty()) {
          break;
        }
        int colon = h.indexOf(':');
        if (colon > 0) {
          headers.put(h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), h.substring(colon + 1).trim());
        }
        header.setLength(0);
      } else {
        header.append((char) c);
      }
    }
    return Integer.parseInt(parts[1]);
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
