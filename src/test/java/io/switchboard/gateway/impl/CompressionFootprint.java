package io.switchboard.gateway.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.switchboard.demo.EchoService;
import io.switchboard.gateway.GatewayOptions;
import io.switchboard.gateway.GatewayVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;

import static io.switchboard.testing.Await.await;

/**
 * The figures behind the compression default (BENCHMARKS.md, Compression); not a test. Run with
 * the test classpath, one mode per JVM:
 * <pre>
 *   java -cp ... io.switchboard.gateway.impl.CompressionFootprint sockets off|nocontext|context [n]
 *   java -cp ... io.switchboard.gateway.impl.CompressionFootprint cpu
 * </pre>
 * {@code sockets}: a gateway and an echo service in this JVM, {@code n} (2000) raw client sockets,
 * each sends one chat-size message (compressed unless {@code off}) and reads its echo; then the
 * live heap (after GC) and the resident set grow per socket. {@code cpu}: the gateway's own zlib
 * work per chat-size message (inflate the client's frame, deflate the echo) in Netty's
 * permessage-deflate codec, with and without context takeover.
 */
public final class CompressionFootprint {

  static final String CHAT = "{\"type\":\"chat\",\"room\":\"lobby\",\"from\":\"alice\",\"text\":\"hello everyone, how is it going today?\"}";

  private CompressionFootprint() {
  }

  public static void main(String[] args) throws Exception {
    if (args[0].equals("cpu")) {
      cpu();
    } else {
      sockets(args[1], args.length > 2 ? Integer.parseInt(args[2]) : 2000);
    }
    System.exit(0);
  }

  private static void sockets(String mode, int n) throws Exception {
    Vertx vertx = Vertx.vertx();
    GatewayVerticle gateway = new GatewayVerticle();
    JsonObject compression = new JsonObject().put("enabled", !mode.equals("off"));
    if (mode.equals("context")) {
      compression.put("serverNoContextTakeover", false).put("clientNoContextTakeover", false);
    }
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/echo", "echo")).put("metrics", new JsonObject().put("enabled", false))
      .put("compression", compression);
    await(vertx.deployVerticle(new EchoService())
      .compose(id -> vertx.deployVerticle(gateway, new DeploymentOptions().setConfig(conf))));
    int port = gateway.actualPort();
    // warm up: the first sockets load classes
    List<CompressionTest.DeflateSocket> warm = open(port, 50, !mode.equals("off"));
    warm.forEach(CompressionTest.DeflateSocket::close);
    Thread.sleep(1000);
    long heap0 = liveHeap();
    long rss0 = rss();
    List<CompressionTest.DeflateSocket> sockets = open(port, n, !mode.equals("off"));
    Thread.sleep(1000);
    long heap1 = liveHeap();
    long rss1 = rss();
    System.out.printf("mode=%s sockets=%d heap/socket=%d B rss/socket=%d B (heap %d -> %d, rss %d -> %d)%n",
      mode, n, (heap1 - heap0) / n, (rss1 - rss0) / n, heap0, heap1, rss0, rss1);
    sockets.forEach(CompressionTest.DeflateSocket::close);
  }

  private static List<CompressionTest.DeflateSocket> open(int port, int n, boolean compressed) throws Exception {
    List<CompressionTest.DeflateSocket> sockets = new ArrayList<>();
    byte[] chat = CHAT.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < n; i++) {
      CompressionTest.DeflateSocket ws = CompressionTest.DeflateSocket.open(port, "/echo", compressed);
      if (compressed) {
        ws.compressed(CompressionTest.DeflateSocket.TEXT, chat);
      } else {
        ws.frame(true, 0, CompressionTest.DeflateSocket.TEXT, chat);
      }
      ws.read();
      sockets.add(ws);
    }
    return sockets;
  }

  private static long liveHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long rss() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  private static void cpu() throws Exception {
    for (String mode : List.of("nocontext", "context", "nocontext", "context")) {
      JsonObject compression = new JsonObject().put("enabled", true);
      boolean context = mode.equals("context");
      if (context) {
        compression.put("serverNoContextTakeover", false).put("clientNoContextTakeover", false);
      }
      GatewayOptions options = GatewayOptions.fromJson(new JsonObject().put("compression", compression), Map.of());
      WebSocketServerExtension ext = Compression.handshaker(options)
        .handshakeExtension(new WebSocketExtensionData("permessage-deflate", Map.of()));
      EmbeddedChannel channel = new EmbeddedChannel(ext.newExtensionEncoder(), ext.newExtensionDecoder());
      int messages = 20_000;
      byte[] chat = CHAT.getBytes(StandardCharsets.UTF_8);
      // the client's frames, made beforehand: one deflate stream (context) or a fresh one each
      byte[][] frames = new byte[messages][];
      Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
      for (int i = 0; i < messages; i++) {
        if (!context) {
          deflater.reset();
        }
        frames[i] = CompressionTest.DeflateSocket.deflate(deflater, chat, true);
      }
      deflater.end();
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long outBytes = 0;
      long start = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < messages; i++) {
        channel.writeInbound(new TextWebSocketFrame(true, 4, Unpooled.wrappedBuffer(frames[i])));
        WebSocketFrame in = channel.readInbound();
        ByteBuf text = in.content();
        channel.writeOutbound(new TextWebSocketFrame(true, 0, text));
        WebSocketFrame out = channel.readOutbound();
        outBytes += out.content().readableBytes();
        out.release();
      }
      long cpu = threads.getCurrentThreadCpuTime() - start;
      // the same loop without compression: the frames' own handling, to subtract
      EmbeddedChannel plain = new EmbeddedChannel();
      long start0 = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < messages; i++) {
        plain.writeInbound(new TextWebSocketFrame(Unpooled.wrappedBuffer(chat)));
        WebSocketFrame in = plain.readInbound();
        plain.writeOutbound(new TextWebSocketFrame(true, 0, in.content()));
        WebSocketFrame out = plain.readOutbound();
        out.release();
      }
      long cpu0 = threads.getCurrentThreadCpuTime() - start0;
      channel.finishAndReleaseAll();
      System.out.printf("cpu mode=%s message=%d B in-frame=%d B out-frame=%d B: %.1f us/message (inflate+deflate), plain %.2f us%n",
        mode, chat.length, Arrays.stream(frames).mapToInt(f -> f.length).sum() / messages, outBytes / messages,
        cpu / 1000.0 / messages, cpu0 / 1000.0 / messages);
    }
  }
}
