package io.switchboard;

import io.switchboard.launcher.TransportChoice;
import io.switchboard.testing.JvmProcess;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code SWITCHBOARD_TRANSPORT} (README "Transport"): a real gateway JVM started by the launcher
 * with each value, its ready line read for the transport that runs.
 */
@DisplayName("The network transport")
@Timeout(120)
class TransportTest {

  private static final String GATEWAY = "io.switchboard.gateway.GatewayVerticle";
  private static final String READY = "Gateway node \\S+ ready on http://127\\.0\\.0\\.1:\\d+/ .*\\(transport (\\w+), \\d+ event loops?, JVM up \\d+ ms\\)";

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nio", "epoll", "io_uring"})
  @DisplayName("is the one SWITCHBOARD_TRANSPORT names, and the gateway's ready line says so")
  void chosen(String name) {
    // the native libraries ship for Linux x86_64 only: elsewhere the same start falls back to NIO
    String expected = name.equals("nio") || available(name) ? name : "nio";
    try (JvmProcess gateway = gateway(name, Map.of("SWITCHBOARD_TRANSPORT", name), List.of())) {
      assertEquals(expected, gateway.await(READY, 60_000).group(1), gateway.output());
      assertEquals(!expected.equals(name), gateway.printed(l -> l.startsWith("switchboard: transport ")), gateway.output());
    }
  }

  @Test
  @DisplayName("is the documented default when SWITCHBOARD_TRANSPORT is unset")
  void byDefault() {
    String expected = available(TransportChoice.DEFAULT) ? TransportChoice.DEFAULT : "nio";
    try (JvmProcess gateway = gateway("default", Map.of("SWITCHBOARD_TRANSPORT", ""), List.of())) {
      assertEquals(expected, gateway.await(READY, 60_000).group(1), gateway.output());
    }
  }

  @Test
  @DisplayName("-Dswitchboard.transport wins over the environment")
  void propertyWins() {
    try (JvmProcess gateway = gateway("property", Map.of("SWITCHBOARD_TRANSPORT", "io_uring"), List.of("-Dswitchboard.transport=nio"))) {
      assertEquals("nio", gateway.await(READY, 60_000).group(1), gateway.output());
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"epoll", "io_uring"})
  @DisplayName("falls back to NIO with one line saying why when the native one cannot load")
  void fallback(String name) {
    // Netty's switch that refuses every native library: what a machine without them looks like
    try (JvmProcess gateway = gateway("fallback-" + name, Map.of("SWITCHBOARD_TRANSPORT", name),
        List.of("-Dio.netty.transport.noNative=true"))) {
      assertEquals("nio", gateway.await(READY, 60_000).group(1), gateway.output());
      List<String> said = gateway.output().lines().filter(l -> l.startsWith("switchboard: ")).toList();
      assertEquals(1, said.size(), gateway.output());
      assertTrue(said.get(0).matches("switchboard: transport " + name + " is unavailable here \\(.*noNative.*\\); running on nio"),
        said.get(0));
    }
  }

  @Test
  @DisplayName("refuses an unknown name in one line, naming the choices, and exits 2")
  void unknown() {
    try (JvmProcess p = gateway("unknown", Map.of("SWITCHBOARD_TRANSPORT", "kqeue"), List.of())) {
      assertEquals(2, p.awaitExit(60_000), p.output());
      assertEquals(List.of("switchboard: SWITCHBOARD_TRANSPORT (or -Dswitchboard.transport) is \"kqeue\"; it must be one of "
        + "nio, epoll, io_uring"), p.output().lines().toList());
      assertFalse(p.printed(l -> l.contains(" ready on ")));
    }
  }

  @Test
  @DisplayName("runs one event loop per verticle instance unless SWITCHBOARD_EVENT_LOOPS or -options says otherwise, and the ready line says how many")
  void eventLoops() {
    String loops = "\\(transport \\w+, (\\d+) event loops?, ";
    try (JvmProcess one = gateway("loops-default", Map.of(), List.of());
         JvmProcess two = JvmProcess.launch("transport-loops-instances", List.of(),
           Map.of("SWITCHBOARD_HOST", "127.0.0.1", "SWITCHBOARD_PORT", "0"), "run", GATEWAY, "-conf", "conf/gateway.json",
           "-instances", "2");
         JvmProcess env = gateway("loops-env", Map.of("SWITCHBOARD_EVENT_LOOPS", "3"), List.of());
         JvmProcess options = JvmProcess.launch("transport-loops-options", List.of(),
           Map.of("SWITCHBOARD_HOST", "127.0.0.1", "SWITCHBOARD_PORT", "0"), "run", GATEWAY, "-conf", "conf/gateway.json",
           "-options", "{\"eventLoopPoolSize\":5}")) {
      assertEquals("1", one.await(loops, 60_000).group(1), one.output());
      assertEquals("2", two.await(loops, 60_000).group(1), two.output());
      assertEquals("3", env.await(loops, 60_000).group(1), env.output());
      assertEquals("5", options.await(loops, 60_000).group(1), options.output());
    }
  }

  @Test
  @DisplayName("refuses a SWITCHBOARD_EVENT_LOOPS that is no count, in one line, and exits 2")
  void badEventLoops() {
    try (JvmProcess p = gateway("loops-bad", Map.of("SWITCHBOARD_EVENT_LOOPS", "many"), List.of())) {
      assertEquals(2, p.awaitExit(60_000), p.output());
      assertEquals(List.of("switchboard: SWITCHBOARD_EVENT_LOOPS must be a number of event loops from 1 to 1024, got \"many\""),
        p.output().lines().toList());
    }
  }

  private static boolean available(String name) {
    Transport t = name.equals("epoll") ? Transport.EPOLL : name.equals("io_uring") ? Transport.IO_URING : Transport.NIO;
    return t != null && t.available();
  }

  private static JvmProcess gateway(String name, Map<String, String> env, List<String> jvmArgs) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("SWITCHBOARD_HOST", "127.0.0.1");
    all.put("SWITCHBOARD_PORT", "0");
    return JvmProcess.launch("transport-" + name, jvmArgs, all, "run", GATEWAY, "-conf", "conf/gateway.json");
  }
}
