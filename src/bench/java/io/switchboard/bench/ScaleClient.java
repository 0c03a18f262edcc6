package io.switchboard.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A load-client process of the scale scenario: holds idle WebSockets to one gateway port, so the
 * sockets of a run are not bounded by the bench JVM's own open-files limit. Started by
 * {@link Fleet#startScaleClient} as {@code ScaleClient <port> <path>}; reads commands on standard
 * input, one a line:
 * <ul>
 *   <li>{@code open N}: opens N more sockets, each proved open with one echo (N = 0: only the
 *       status), then prints {@code scale-client: reply K open TOTAL alive ALIVE failed F seconds S error E};</li>
 *   <li>{@code close}: closes every socket and exits.</li>
 * </ul>
 * The end of standard input (the bench is gone) closes and exits too: no socket outlives the bench.
 */
final class ScaleClient {

  static final String READY = "scale-client: ready";
  static final int CONCURRENCY = 128;

  private ScaleClient() {
  }

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(args[0]);
    String path = args[1];
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    LoadClient client = new LoadClient(vertx);
    List<Conn> conns = new ArrayList<>();
    System.out.println(READY);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    int replies = 0;
    String line;
    while ((line = in.readLine()) != null && !line.equals("close")) {
      if (!line.startsWith("open ")) {
        System.out.println("scale-client: unknown command " + line);
        continue;
      }
      int n = Integer.parseInt(line.substring(5).trim());
      LoadClient.Opened o = n == 0 ? new LoadClient.Opened(List.of(), 0, null, 0)
        : client.connectAll(List.of(port), path, n, CONCURRENCY,
          c -> LoadClient.roundTrip(c, "hello", IdleScenario.FIRST_ECHO_TIMEOUT), IdleScenario.CONNECT_TIMEOUT);
      conns.addAll(o.conns());
      long alive = conns.stream().filter(c -> !c.isClosed()).count();
      System.out.printf("scale-client: reply %d open %d alive %d failed %d seconds %.1f error %s%n",
        ++replies, conns.size(), alive, o.failures(), o.nanos() / 1e9, o.firstError());
    }
    LoadClient.closeAll(conns, Duration.ofSeconds(60));
    client.close();
    LoadClient.await(vertx.close(), Duration.ofSeconds(10));
    System.exit(0);
  }
}
